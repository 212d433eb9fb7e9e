/** The pieces every console form shows beside a rejected field: the message, and the input pointing at it. */
import { html, type SafeHtml } from '../html';

export function fieldError(id: string, message: string | undefined): SafeHtml {
  return message ? html`<span class="field-error" id="${id}-error">${message}</span>` : html``;
}

/** `aria-invalid` and `aria-describedby` for the input, so a screen reader reads the error with it. */
export const invalid = (id: string, message: string | undefined): SafeHtml => (message ? html`aria-invalid="true" aria-describedby="${id}-error"` : html``);
