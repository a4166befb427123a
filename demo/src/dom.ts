/** The element matching `selector`; the page is ours, so a missing one is a bug. */
export function $<T extends HTMLElement = HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`demo page has no ${selector}`);
  return found;
}

/** A new element with text (never HTML: everything shown comes from users) and data attributes. */
export function element(
  tag: string,
  options: { className?: string; text?: string; data?: Record<string, string> } = {},
): HTMLElement {
  const created = document.createElement(tag);
  if (options.className) created.className = options.className;
  if (options.text !== undefined) created.textContent = options.text;
  for (const [key, value] of Object.entries(options.data ?? {})) created.dataset[key] = value;
  return created;
}

/** Shows a one-line message above the page (errors, hints); an empty text hides it. */
export function notify(text: string): void {
  $('#notice').textContent = text;
}
