// Plain words for problem documents. `detail` is English prose for logs (docs/api.md), so
// people see these, keyed by the stable `code`; an unknown code falls back by status.
import type { Problem } from './types';

const BY_CODE: Record<string, string> = {
  validation_failed: '填写的内容有误，请检查后再试',
  invalid_transition: '案件状态已变化，请刷新后再操作',
  version_conflict: '其他人刚刚修改了这个案件，请刷新后再操作',
  not_found: '没有找到，可能已被删除或您无权查看',
  forbidden: '您没有这项操作的权限',
  unauthenticated: '登录已过期，请重新登录',
  out_of_district: '位置不在洪山区内，请在地图上调整位置',
  unknown_category: '事件类别已停用，请重新选择',
  media_not_found: '照片已失效，请重新选择照片',
  photo_required: '这一类事件需要至少一张照片',
  unsupported_media: '不支持这种文件，请选择 JPG、PNG、WebP 或 HEIC 照片',
  image_too_large: '照片太大，请换一张',
  payload_too_large: '文件太大（最大 20 MB）',
  idempotency_conflict: '这次提交与之前的内容不一致',
  idempotency_in_flight: '正在处理上一次提交，请稍候',
  rate_limited: '操作太频繁，请稍后再试',
  invalid_credentials: '用户名或密码错误',
  invalid_assignee: '处置单位或人员无效',
  invalid_due_at: '期限无效',
  invalid_merge: '不能合并到这个案件',
};

export function problemText(status: number, problem: Problem | null): string {
  if (problem?.code && BY_CODE[problem.code]) {
    const fields = problem.errors?.map((e) => e.field).filter(Boolean) ?? [];
    return fields.length && problem.code === 'validation_failed'
      ? `${BY_CODE[problem.code]}（${fields.join('、')}）`
      : BY_CODE[problem.code];
  }
  if (status === 429) return BY_CODE.rate_limited;
  if (status >= 500) return '服务器暂时不可用，请稍后再试';
  return problem?.title ? `请求未成功：${problem.title}` : `请求未成功（${status}）`;
}
