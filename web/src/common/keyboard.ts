// On a phone the on-screen keyboard takes half the screen: while a text field has focus
// the bottom tabs step aside (html.typing), so the field and the send button stay in view.
const TEXT_INPUTS = new Set(['text', 'search', 'email', 'tel', 'url', 'password', 'number']);

function isTextField(target: EventTarget | null): boolean {
  if (target instanceof HTMLTextAreaElement) return true;
  return target instanceof HTMLInputElement && TEXT_INPUTS.has(target.type) && !target.readOnly;
}

export function followKeyboard(): void {
  if (!window.matchMedia('(pointer: coarse)').matches) return;
  const root = document.documentElement;
  let later: ReturnType<typeof setTimeout> | null = null;
  // The tabs come back a moment after the field lets go: a tap on the send button moves
  // the focus to it first, and moving the button under the finger then would lose the tap.
  const leave = () => {
    if (later) clearTimeout(later);
    later = setTimeout(() => root.classList.remove('typing'), 400);
  };
  document.addEventListener('focusin', (e) => {
    if (!isTextField(e.target)) return leave();
    if (later) clearTimeout(later);
    root.classList.add('typing');
  });
  document.addEventListener('focusout', leave);
}
