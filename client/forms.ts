/**
 * @module
 * `<form data-xcapi-event="lead">`: on submit, report the event with the form's
 * email and phone values and give the form a hidden `twclid` input so the site's own
 * backend gets the click id too. Listens on the window in the capture phase, so forms
 * added later are covered and the input exists before the site's own submit handlers
 * read the form. Never calls `preventDefault`.
 */
import type { TrackData } from './types.ts';

/**
 * Calls `onSubmit` for every submitted form that has `data-xcapi-event`.
 *
 * @example
 * watchForms((form, event, data) => track(event, data));
 */
export function watchForms(
  onSubmit: (form: HTMLFormElement, event: string, data: TrackData) => void,
): void {
  addEventListener(
    'submit',
    (e) => {
      try {
        const form = e.target as HTMLFormElement;
        const value = (selector: string) =>
          form.querySelector<HTMLInputElement>(selector)?.value?.trim() || undefined;
        const event = form.getAttribute('data-xcapi-event');
        if (event) {
          onSubmit(form, event, {
            email: value('[type=email],[name=email]'),
            phone: value('[type=tel],[name=phone]'),
          });
        }
      } catch {}
    },
    true,
  );
}

/**
 * Adds `<input type="hidden" name="twclid">` unless the form already has a `twclid` field.
 *
 * @example
 * addClickIdInput(form, 'abc123');
 */
export function addClickIdInput(form: HTMLFormElement, twclid: string): void {
  form.querySelector('[name=twclid]') ||
    form.appendChild(
      Object.assign(document.createElement('input'), {
        type: 'hidden',
        name: 'twclid',
        value: twclid,
      }),
    );
}
