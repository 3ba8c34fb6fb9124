// What the operator configured for maps (/app/config.json, docs/pages.md). With no tile
// URL the maps draw vector data only and contact no other host.
export interface MapConfig {
  map_tile_url: string | null;
  map_attribution: string | null;
}

let cached: Promise<MapConfig> | null = null;

export function mapConfig(): Promise<MapConfig> {
  cached ??= fetch('/app/config.json', { headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? (r.json() as Promise<MapConfig>) : { map_tile_url: null, map_attribution: null }))
    .catch(() => ({ map_tile_url: null, map_attribution: null }));
  return cached;
}
