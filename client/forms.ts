/**
 * @module
 * `<form data-xcapi-event="lead">`: on submit, report the event with the form's email
 * and phone, and add a hidden `twclid` input so the site's own backend gets the click
 * id too. A capture-phase listener on the window: it sees forms added later, and runs
 * before the site's own submit handlers read the form. Never calls `preventDefault`.
 */
import { debugLog } from './debug-log.ts';
import type { TrackData } from './types.ts';

/** Runs `track` for each watched form's submit; `clickId` is the stored id, if it may be used. */
export function watchForms(
  clickId: () => string | false | undefined,
  run: (command: ['track', string, TrackData]) => void,
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
          // A valid click id is only [\w-]: safe in HTML as is.
          if (twclid && !find('[name=twclid]')) {
            form.insertAdjacentHTML('beforeend', `<input type=hidden name=twclid value=${twclid}>`);
          }
          run([
            'track',
            event,
            { email: value('[type=email],[name=email]'), phone: value('[type=tel],[name=phone]') },
          ]);
        } else debugLog(form, 'not sent: no data-xcapi-event');
      } catch {}
    },
    true,
  );
}
