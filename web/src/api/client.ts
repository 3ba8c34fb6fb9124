// The one API client: typed paths from the OpenAPI document (openapi-fetch), the bearer
// token on every call, one refresh on a 401 and a clean logout on the second.
import createClient from 'openapi-fetch';
import type { paths, Problem } from './types';
import { accessToken, AuthError, forget, refresh } from '../auth/session';
import { problemText } from './problems';

const TIMEOUT_MS = 30_000;

/** A failed call, with the words to show and the problem document when there was one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problem: Problem | null = null,
  ) {
    super(message);
  }

  /** No answer at all (offline, timeout, DNS): the request may or may not have run. */
  get unanswered(): boolean {
    return this.status === 0;
  }
}

function withTimeout(request: Request, ms: number): Request {
  const timeout = AbortSignal.timeout(ms);
  const signal = 'any' in AbortSignal ? AbortSignal.any([request.signal, timeout]) : timeout;
  return new Request(request, { signal });
}

async function send(request: Request, token: string, timeoutMs: number): Promise<Response> {
  const attempt = withTimeout(request, timeoutMs);
  attempt.headers.set('Authorization', `Bearer ${token}`);
  try {
    return await fetch(attempt);
  } catch {
    throw new ApiError(0, 'offline', '网络不可用，稍后会自动重试');
  }
}

/** fetch with the login: refresh once on 401; a second 401 ends the login on this device. */
export async function authFetch(input: Request, timeoutMs = TIMEOUT_MS): Promise<Response> {
  const retry = input.clone();
  let token: string;
  try {
    token = await accessToken();
  } catch (e) {
    throw toApiError(e);
  }
  const first = await send(input, token, timeoutMs);
  if (first.status !== 401) return first;
  try {
    token = await refresh();
  } catch (e) {
    throw toApiError(e);
  }
  const second = await send(retry, token, timeoutMs);
  if (second.status === 401) {
    forget();
    throw new ApiError(401, 'unauthenticated', '登录已过期，请重新登录');
  }
  return second;
}

function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof AuthError) {
    return e.reason === 'offline'
      ? new ApiError(0, 'offline', '网络不可用，稍后会自动重试')
      : new ApiError(401, 'unauthenticated', e.message);
  }
  throw e;
}

export const api = createClient<paths>({ baseUrl: '', fetch: (r) => authFetch(r) });

/** Turn an error response into an ApiError with words for people. */
export async function problemOf(response: Response): Promise<ApiError> {
  let problem: Problem | null = null;
  try {
    problem = (await response.clone().json()) as Problem;
  } catch {
    problem = null;
  }
  const code = problem?.code ?? `http_${response.status}`;
  return new ApiError(response.status, code, problemText(response.status, problem), problem);
}

/**
 * An ApiError from the problem document openapi-fetch has already read from the body
 * (its `error`): the response's own body is used up by then, so problemOf cannot read it.
 */
export function errorOf(status: number, body: unknown): ApiError {
  const problem = body && typeof body === 'object' ? (body as Problem) : null;
  const code = problem?.code ?? `http_${status}`;
  return new ApiError(status, code, problemText(status, problem), problem);
}

/** The body of a successful openapi-fetch answer, or a thrown ApiError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw errorOf(response.status, error);
  return data as T;
}
