/**
 * @module
 * A Stripe Checkout event as a purchase. `checkout.session.completed` is one
 * when the session is `paid` (or needs no payment); an `unpaid` session (a
 * bank debit, a voucher) becomes one only with
 * `checkout.session.async_payment_succeeded` for the same session, which
 * maps to the same `conversion_id`, so a session is one conversion whichever
 * events arrive and however often.
 *
 * Amounts come in the currency's minor units as Stripe counts them, which is
 * not always ISO 4217's: Stripe counts MGA and UGX without decimals and ISK
 * with two (ISO: 2, 0, 0), hence Stripe's own table here; ingest then writes
 * the amount in ISO's decimals (`ISK` 150000 is `"1500.00"`, sent as `"1500"`).
 */
import { isValidTwclid } from '../../common/twclid-cookie.ts';
import { decimalFromMinorUnits } from '../ingest/decimal-amount.ts';
import { CONVERSION_ID } from '../ingest/event-schema.ts';
import {
  CANNOT_RETRACT,
  clickIdOf,
  compactEvent,
  firstText,
  ignored,
  isObject,
  objectAt,
  WebhookShapeError,
  type WebhookVerdict,
} from './webhook-event.ts';

/** Stripe's zero-decimal currencies (docs.stripe.com/currencies). */
const ZERO_DECIMAL = new Set(
  'BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF'.split(' '),
);
/** Stripe's three-decimal currencies. */
const THREE_DECIMAL = new Set('BHD JOD KWD OMR TND'.split(' '));

/** Decimal places of Stripe's amounts in `currency` (upper case). */
export function stripeMinorUnits(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0;
  return THREE_DECIMAL.has(currency) ? 3 : 2;
}

const PAID = new Set(['paid', 'no_payment_required']);
const RETRACTING = new Set(['charge.refunded', 'refund.created', 'charge.dispute.created']);

/**
 * Whether `client_reference_id` holds a click id rather than the shop's own
 * reference: the click id's characters, and as long as X's click ids are
 * (about 25-40 characters; 20 leaves room) where order numbers are short.
 */
function looksLikeClickId(value: string): boolean {
  return isValidTwclid(value) && value.length >= 20 && !/^\d+$/.test(value);
}

/**
 * A session id as a `conversion_id`: ingest takes at most 64 characters and
 * Checkout's ids are longer (`cs_test_` + 58), so the last 64 stand for it
 * (the random part; a success page can send `id.slice(-64)` to match).
 */
function sessionConversionId(id: string): string {
  return id.length <= 64 ? id : id.slice(-64);
}

/**
 * The verdict on one Stripe event (the parsed body of a signed delivery).
 *
 * @throws WebhookShapeError when a Checkout event carries no session.
 * @example
 * stripeVerdict({ type: 'checkout.session.completed', data: { object: session } }, 'purchase');
 */
export function stripeVerdict(body: unknown, event: string): WebhookVerdict {
  if (!isObject(body)) throw new WebhookShapeError('', 'the body is not a Stripe event');
  const type = firstText(body.type) ?? '';
  if (RETRACTING.has(type)) return ignored(CANNOT_RETRACT);
  if (
    type !== 'checkout.session.completed' &&
    type !== 'checkout.session.async_payment_succeeded'
  ) {
    return ignored(
      'not a purchase event (checkout.session.completed, checkout.session.async_payment_succeeded): acknowledged, nothing sent',
    );
  }
  const session = objectAt(body.data).object;
  if (!isObject(session) || typeof session.id !== 'string') {
    throw new WebhookShapeError('data.object', 'the event carries no Checkout Session');
  }
  if (!PAID.has(String(session.payment_status))) {
    return ignored(
      'payment not completed yet: sent when checkout.session.async_payment_succeeded arrives',
    );
  }
  const metadata = objectAt(session.metadata);
  const reference = firstText(session.client_reference_id);
  const customer = objectAt(session.customer_details);
  const currency = firstText(session.currency)?.toUpperCase();
  const requested = firstText(metadata.conversion_id);
  const created = typeof body.created === 'number' ? body.created : undefined;
  return {
    kind: 'conversion',
    event: compactEvent({
      event,
      conversion_id:
        requested !== undefined && CONVERSION_ID.test(requested)
          ? requested
          : sessionConversionId(session.id),
      conversion_time:
        created !== undefined && Number.isSafeInteger(created)
          ? new Date(created * 1000).toISOString()
          : undefined,
      twclid:
        clickIdOf(metadata.twclid) ??
        (reference !== undefined && looksLikeClickId(reference) ? reference : undefined),
      email: firstText(customer.email),
      phone: firstText(customer.phone),
      value:
        currency !== undefined && typeof session.amount_total === 'number'
          ? decimalFromMinorUnits(session.amount_total, stripeMinorUnits(currency))
          : undefined,
      currency,
    }),
  };
}
