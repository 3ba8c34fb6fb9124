// The one table of words every page uses (PAGES.md "Words"). A status, action, task kind
// or SLA state the server adds later shows its code rather than nothing.

export const STATUS: Record<string, string> = {
  reported: '待受理',
  registered: '已立案',
  dispatched: '已派遣',
  handling: '处置中',
  handled: '待核查',
  verified: '已核查',
  closed: '已结案',
  rejected: '不予受理',
  cancelled: '已作废',
  merged: '已合并',
};

export const ACTION: Record<string, string> = {
  report_event: '上报',
  accept: '受理',
  reject: '不予受理',
  register: '立案',
  dispatch: '派遣',
  start: '开始处置',
  return: '退回',
  report: '反馈',
  verify: '核查',
  close: '结案',
  visit: '回访',
  reopen: '重新立案',
  cancel: '作废',
  merge: '合并',
  request_extension: '申请延期',
  decide_extension: '延期审批',
  supervise: '督办',
  escalate: '升级',
  comment: '备注',
  acknowledge: '签收',
};

export const TASK_KIND: Record<string, string> = {
  triage: '待受理',
  dispatch: '待派遣',
  handle: '待处置',
  verify: '待核查',
  close: '待结案',
  visit: '待回访',
  extension: '延期审批',
  instruction: '指令待签收',
};

export const ROLE: Record<string, string> = {
  grid_worker: '网格员',
  street_dispatcher: '街道城运中心',
  dept_handler: '委办局',
  district_dispatcher: '区城运中心',
  official: '区领导',
  admin: '系统管理员',
};

export const SLA_STATE: Record<string, string> = {
  normal: '正常',
  warning: '即将超期',
  overdue: '已超期',
};

export const GRADE: Record<number, string> = { 1: '特别重大', 2: '重大', 3: '较大', 4: '一般' };

export const OUTBOX_STATE: Record<string, string> = {
  waiting: '等待网络',
  uploading: '正在上传照片',
  sending: '正在提交',
  retrying: '稍后重试',
  sent: '已上报',
  failed: '需要修改',
};

export function label(table: Record<string, string>, code: string | null | undefined): string {
  if (code == null) return '';
  return table[code] ?? code;
}
