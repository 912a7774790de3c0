/** Money on the wire: an exact JSON number with the currency's decimals (lossless-json writes it as is). */
import { LosslessNumber } from 'lossless-json';
import { formatAmount, type Currency } from '../domain/money';

export function money(minor: string | bigint, currency: Currency): LosslessNumber {
  return new LosslessNumber(formatAmount(minor, currency));
}
