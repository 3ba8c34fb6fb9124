// What the operator configured for the pages (backend/pages: /app/config.json).
export interface PagesConfig {
  map_tile_url: string | null;
  map_attribution: string | null;
}

let cached: Promise<PagesConfig> | null = null;

export function pagesConfig(): Promise<PagesConfig> {
  cached ??= fetch('/app/config.json')
    .then((r) => (r.ok ? (r.json() as Promise<PagesConfig>) : { map_tile_url: null, map_attribution: null }))
    .catch(() => {
      cached = null;
      return { map_tile_url: null, map_attribution: null };
    });
  return cached;
}
