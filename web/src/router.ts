import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { useAuth, homeOf } from './auth/store';

// Pages load on first visit: the report page's map library never reaches a dispatcher,
// and the phone's first screen carries only what it shows.
const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./auth/LoginPage.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./shell/AppShell.vue'),
    children: [
      { path: '', name: 'home', redirect: () => homeOf(useAuth().role) },
      { path: 'report', component: () => import('./report/ReportPage.vue'), meta: { title: '上报事件' } },
      { path: 'tasks', component: () => import('./inbox/TasksPage.vue'), meta: { title: '我的任务' } },
      { path: 'mine', component: () => import('./event/MyReportsPage.vue'), meta: { title: '我的上报' } },
      { path: 'events/:id', component: () => import('./event/EventPage.vue'), meta: { title: '案件详情', back: true, wide: true } },
      { path: 'notifications', component: () => import('./notify/NotificationsPage.vue'), meta: { title: '消息' } },
      { path: 'board', component: () => import('./triage/TriageBoard.vue'), meta: { title: '案件受理', wide: true } },
      { path: 'queue', component: () => import('./dept/DeptQueue.vue'), meta: { title: '部门待办', wide: true } },
      { path: 'rooms', component: () => import('./rooms/RoomsPage.vue'), meta: { title: '联勤联动', wide: true } },
      { path: 'rooms/:id', component: () => import('./rooms/RoomPage.vue'), meta: { title: '联勤联动', back: true, wide: true } },
      { path: 'duty', component: () => import('./duty/DutyPage.vue'), meta: { title: '今日值班', wide: true } },
      { path: 'me', component: () => import('./shell/MePage.vue'), meta: { title: '我的' } },
    ],
  },
  // The one screen fills the wall without the app shell; ECharts loads with it only.
  { path: '/screen', component: () => import('./screen/ScreenPage.vue'), meta: { title: '一屏统览' } },
  { path: '/screen/list', component: () => import('./screen/ScreenList.vue'), meta: { title: '案件清单' } },
  { path: '/:rest(.*)*', redirect: '/' },
];

export const router = createRouter({ history: createWebHistory('/app/'), routes });

router.beforeEach((to) => {
  const auth = useAuth();
  if (!to.meta.public && !auth.user) {
    return { path: '/login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  }
  if (to.path === '/login' && auth.user) return homeOf(auth.role);
  return true;
});
