// Tokens, and the one place that refreshes them.
//
// The access token (15 minutes) lives in sessionStorage: this tab only, kept across its
// reloads, so a reload does not spend a refresh (a reload while a refresh is under way
// would lose the rotated token and, presenting the old one again, end the login). The
// refresh token lives in
// localStorage so a reload or a reopened WebView stays logged in (the issue asks for it);
// the API hands it over in a JSON body, so an HttpOnly cookie is not available to us.
// What keeps script from reading it is the page's Content-Security-Policy: no inline
// script, no script from any other host (docs/pages.md). Refresh tokens rotate and a
// reused one revokes the whole login, so refreshes are serialised across tabs with a Web
// Lock, and each refresh re-reads the stored token the previous holder left.
import type { Me, TokenPair } from '../api/types';

const REFRESH_KEY = 'chengyun.refresh_token';
const USER_KEY = 'chengyun.user';
const LOCK = 'chengyun-refresh';
// Refresh this long before the access token runs out, so requests rarely meet a 401.
const EARLY_MS = 60_000;

export class AuthError extends Error {
  constructor(readonly reason: 'expired' | 'offline') {
    super(reason === 'expired' ? '登录已过期，请重新登录' : '网络不可用');
  }
}

type Listener = (user: Me | null) => void;

const ACCESS_KEY = 'chengyun.access';

let access: { token: string; until: number } | null = readAccess();

function readAccess(): { token: string; until: number } | null {
  try {
    return JSON.parse(sessionStorage.getItem(ACCESS_KEY) ?? 'null') as { token: string; until: number } | null;
  } catch {
    return null;
  }
}

function setAccess(token: string, seconds: number): void {
  access = { token, until: Date.now() + seconds * 1000 };
  sessionStorage.setItem(ACCESS_KEY, JSON.stringify(access));
}
let inFlight: Promise<string> | null = null;
const listeners = new Set<Listener>();

export function storedUser(): Me | null {
  const handed = sessionStorage.getItem(USER_KEY);
  const raw = handed ?? localStorage.getItem(USER_KEY);
  if (!raw || (!handed && !localStorage.getItem(REFRESH_KEY))) return null;
  try {
    return JSON.parse(raw) as Me;
  } catch {
    return null;
  }
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function keep(pair: TokenPair): void {
  // The new refresh token is stored before anything uses the new access token: the old
  // one is spent, and presenting it again would end the login.
  localStorage.setItem(REFRESH_KEY, pair.refresh_token);
  localStorage.setItem(USER_KEY, JSON.stringify(pair.user));
  setAccess(pair.access_token, pair.expires_in);
  listeners.forEach((l) => l(pair.user));
}

async function postJson(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Log in with a password. Resolves with the user, rejects with the problem's response. */
export async function login(username: string, password: string): Promise<Response> {
  const res = await postJson('/api/v1/auth/login', { username, password });
  if (res.ok) keep((await res.clone().json()) as TokenPair);
  return res;
}

/** What the hosting app hands over (docs/pages.md): an access token and who it is for. */
export interface Handover {
  access_token: string;
  expires_in: number;
  user: TokenPair['user'];
}

/** The native bridge, when the app offers one: a fresh access token on request. */
interface AppBridge {
  accessToken?: () => Promise<string | Handover> | string | Handover;
}

let handedOver = false;

/**
 * The app already holds a login: take its access token instead of asking for a password.
 * The app keeps its refresh token (sharing one would revoke the login on the second use);
 * when the access token runs out the page asks the app's bridge for another.
 */
export function adopt(handover: Handover): void {
  handedOver = true;
  localStorage.removeItem(REFRESH_KEY);
  sessionStorage.setItem(USER_KEY, JSON.stringify(handover.user));
  setAccess(handover.access_token, handover.expires_in);
  listeners.forEach((l) => l(handover.user));
}

async function fromApp(): Promise<string> {
  const bridge = (window as Window & { ChengyunApp?: AppBridge }).ChengyunApp;
  if (!bridge?.accessToken) {
    forget();
    throw new AuthError('expired');
  }
  const got = await bridge.accessToken();
  if (typeof got === 'string') {
    setAccess(got, 5 * 60);
  } else {
    adopt(got);
  }
  return access!.token;
}

async function refreshNow(): Promise<string> {
  const run = async (): Promise<string> => {
    const token = localStorage.getItem(REFRESH_KEY);
    if (!token) throw new AuthError('expired');
    let res: Response;
    try {
      res = await postJson('/api/v1/auth/refresh', { refresh_token: token });
    } catch {
      throw new AuthError('offline');
    }
    if (res.status === 401 || res.status === 400) {
      forget();
      throw new AuthError('expired');
    }
    if (!res.ok) throw new AuthError('offline');
    keep((await res.json()) as TokenPair);
    return access!.token;
  };
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return locks ? locks.request(LOCK, run) : run();
}

/** A fresh refresh, shared by every caller that asks while one is running. */
export function refresh(): Promise<string> {
  inFlight ??= (handedOver || sessionStorage.getItem(USER_KEY) ? fromApp() : refreshNow()).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

/** The access token to send now, refreshed first when it is (nearly) spent. */
export async function accessToken(): Promise<string> {
  if (access && access.until - EARLY_MS > Date.now()) return access.token;
  return refresh();
}

/** Forget everything this device keeps about the login (no server call). */
export function forget(): void {
  const had = access !== null || localStorage.getItem(REFRESH_KEY) !== null;
  access = null;
  handedOver = false;
  sessionStorage.removeItem(ACCESS_KEY);
  localStorage.removeItem(REFRESH_KEY);
  localStorage.removeItem(USER_KEY);
  sessionStorage.removeItem(USER_KEY);
  if (had) listeners.forEach((l) => l(null));
}

/** End the login on the server too (its tokens stop working at once), then forget it. */
export async function logout(): Promise<void> {
  const token = access?.token;
  if (token) {
    try {
      await fetch('/api/v1/auth/logout', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
      });
    } catch {
      // Offline: the tokens are forgotten here; the server ends them when they expire.
    }
  }
  forget();
}
