// The bottom tabs each role sees. Pages for a role are added here and in router.ts.
export interface Tab {
  to: string;
  label: string;
  icon: string;
  badge?: 'unread';
}

const REPORT: Tab = { to: '/report', label: '上报', icon: 'photograph' };
const TASKS: Tab = { to: '/tasks', label: '任务', icon: 'todo-list-o' };
const MINE: Tab = { to: '/mine', label: '我的上报', icon: 'records-o' };
const NOTES: Tab = { to: '/notifications', label: '消息', icon: 'bell', badge: 'unread' };
const BOARD: Tab = { to: '/board', label: '案件', icon: 'orders-o' };
const QUEUE: Tab = { to: '/queue', label: '待办', icon: 'orders-o' };
const ROOMS: Tab = { to: '/rooms', label: '联勤', icon: 'chat-o' };
const DUTY: Tab = { to: '/duty', label: '值班', icon: 'manager-o' };
const SCREEN: Tab = { to: '/screen', label: '一屏', icon: 'chart-trending-o' };
const ME: Tab = { to: '/me', label: '我的', icon: 'user-o' };

export function tabsFor(role: string | null): Tab[] {
  switch (role) {
    case 'grid_worker':
      return [REPORT, TASKS, MINE, NOTES, ME];
    case 'street_dispatcher':
    case 'district_dispatcher':
      return [BOARD, TASKS, ROOMS, DUTY, SCREEN, NOTES, ME];
    case 'dept_handler':
      return [QUEUE, TASKS, ROOMS, NOTES, ME];
    case 'official':
      return [TASKS, SCREEN, ROOMS, NOTES, ME];
    default:
      return [TASKS, NOTES, ME];
  }
}
