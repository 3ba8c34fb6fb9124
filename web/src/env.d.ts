/// <reference types="vite/client" />
import 'vue-router';

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    title?: string;
    back?: boolean;
    /** Use the whole width (boards, the district screen). */
    wide?: boolean;
  }
}
