import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Me } from '../api/types';
import * as session from './session';

/** Who is logged in, for every page; the tokens themselves stay in session.ts. */
export const useAuth = defineStore('auth', () => {
  const user = ref<Me | null>(session.storedUser());
  session.onSessionChange((u) => {
    user.value = u;
  });
  const role = computed(() => user.value?.role ?? null);

  async function login(username: string, password: string): Promise<Response> {
    return session.login(username, password);
  }

  async function logout(): Promise<void> {
    await session.logout();
  }

  return { user, role, login, logout };
});

/** Where each role starts: the page its main job happens on. */
export function homeOf(role: string | null): string {
  switch (role) {
    case 'grid_worker':
      return '/report';
    case 'street_dispatcher':
    case 'district_dispatcher':
      return '/board';
    case 'dept_handler':
      return '/queue';
    case 'official':
      return '/tasks';
    default:
      return '/tasks';
  }
}
