// The browser's position, with its accuracy, as the report form uses it.

export interface Fix {
  lat: number;
  lng: number;
  accuracy: number; // metres, radius of 68 % confidence
}

/** Worse than this and the form asks for the pin to be checked on the map. */
export const POOR_ACCURACY_M = 50;

export type FixOutcome = { fix: Fix } | { error: 'denied' | 'unavailable' | 'timeout' | 'unsupported' };

export function currentFix(timeoutMs = 15_000): Promise<FixOutcome> {
  if (!('geolocation' in navigator)) return Promise.resolve({ error: 'unsupported' });
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ fix: { lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy } }),
      (e) =>
        resolve({
          error: e.code === e.PERMISSION_DENIED ? 'denied' : e.code === e.TIMEOUT ? 'timeout' : 'unavailable',
        }),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30_000 },
    );
  });
}

export const FIX_ERROR: Record<string, string> = {
  denied: '没有定位权限：请在地图上标出位置，或在设置中允许定位',
  unavailable: '暂时无法定位：请在地图上标出位置',
  timeout: '定位超时：请在地图上标出位置，或重新定位',
  unsupported: '此设备不支持定位：请在地图上标出位置',
};
