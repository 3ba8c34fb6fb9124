// The bottom tabs each role sees. Pages for a role are added here and in router.ts.
export interface Tab {
  to: string;
  label: string;
  icon: string;
  badge?: 'unread';
}

const TASKS: Tab = { to: '/tasks', label: '任务', icon: 'todo-list-o' };
const NOTES: Tab = { to: '/notifications', label: '消息', icon: 'bell', badge: 'unread' };
const SCREEN: Tab = { to: '/screen', label: '一屏', icon: 'chart-trending-o' };
const ME: Tab = { to: '/me', label: '我的', icon: 'user-o' };

export function tabsFor(role: string | null): Tab[] {
  switch (role) {
    case 'grid_worker':
      return [TASKS, NOTES, ME];
    case 'official':
    case 'district_dispatcher':
    case 'street_dispatcher':
      return [TASKS, SCREEN, NOTES, ME];
    default:
      return [TASKS, NOTES, ME];
  }
}
