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
 * On every submitted form that has `data-xcapi-event`: adds the hidden `twclid`
 * input (when `clickId()` gives one and the form has no `twclid` field), then
 * calls `onSubmit`.
 *
 * @example
 * watchForms(() => readClickId(30), (event, data) => track(event, data));
 */
export function watchForms(
  clickId: () => string | false | undefined,
  onSubmit: (event: string, data: TrackData) => void,
): void {
  addEventListener(
    'submit',
    (e) => {
      try {
        const form = e.target as HTMLFormElement;
        const event = form.getAttribute('data-xcapi-event');
        const find = (selector: string) => form.querySelector<HTMLInputElement>(selector);
        const value = (selector: string) => find(selector)?.value.trim() || undefined;
        if (event) {
          const twclid = clickId();
          // A valid click id has only [\w-] characters: safe to write into HTML as is.
          if (twclid && !find('[name=twclid]')) {
            form.insertAdjacentHTML('beforeend', `<input type=hidden name=twclid value=${twclid}>`);
          }
          onSubmit(event, {
            email: value('[type=email],[name=email]'),
            phone: value('[type=tel],[name=phone]'),
          });
        }
      } catch {}
    },
    true,
  );
}
