// Which form takes which action. Pages show a form for every action in the event's
// `allowed_actions` that has one here; the street center's forms are added beside these.
import { defineAsyncComponent, type Component } from 'vue';

export interface ActionForm {
  component: Component;
  props?: Record<string, unknown>;
}

export const ACTION_FORMS: Record<string, ActionForm> = {
  verify: { component: defineAsyncComponent(() => import('./VerifyForm.vue')) },
  visit: { component: defineAsyncComponent(() => import('./NoteForm.vue')), props: { action: 'visit' } },
  comment: { component: defineAsyncComponent(() => import('./NoteForm.vue')), props: { action: 'comment' } },
};
