/**
 * The ledger's invariants, checked by tests after every run and by operators
 * (`ledger verify`). Each query returns the rows that break one rule; an empty list
 * means the ledger is exact.
 */
import type { Pool } from '../pool';

const RULES: { rule: string; sql: string }[] = [
  {
    rule: 'postings of each transaction sum to zero',
    sql: `select transaction_id::text as id from ledger_postings group by transaction_id having sum(amount) <> 0`,
  },
  {
    rule: 'money is conserved per environment and currency (all postings sum to zero)',
    sql: `select env_id::text || ':' || currency as id from ledger_postings group by env_id, currency having sum(amount) <> 0`,
  },
  {
    rule: 'every transaction has postings',
    sql: `select t.id::text as id from ledger_transactions t
          where not exists (select 1 from ledger_postings p where p.transaction_id = t.id)`,
  },
  {
    rule: "each wallet's balance equals the sum of its postings",
    sql: `select w.id::text as id from wallets w
          left join (select wallet_id, sum(amount) as total from ledger_postings where wallet_id is not null group by wallet_id) p
            on p.wallet_id = w.id
          where w.balance <> coalesce(p.total, 0)`,
  },
  {
    rule: "each wallet's last posting shows its balance",
    sql: `select w.id::text as id from wallets w
          join lateral (select balance_after from ledger_postings p where p.wallet_id = w.id order by p.id desc limit 1) last on true
          where last.balance_after <> w.balance`,
  },
  {
    rule: 'no user wallet is negative',
    sql: `select id::text as id from wallets where balance < 0 or held < 0`,
  },
  {
    rule: 'held funds equal the withdrawals-in-flight account, per environment and currency',
    sql: `select coalesce(h.env_id, f.env_id)::text || ':' || coalesce(h.currency, f.currency) as id
          from (select env_id, currency, sum(held) as held from wallets group by env_id, currency) h
          full join (select env_id, currency, sum(amount) as flight from ledger_postings where account = 'in_flight' group by env_id, currency) f
            on f.env_id = h.env_id and f.currency = h.currency
          where coalesce(h.held, 0) <> coalesce(f.flight, 0)`,
  },
  {
    rule: 'every completed order has exactly one payment posting set',
    sql: `select o.id::text as id from orders o
          left join ledger_transactions t on t.id = o.transaction_id and t.type = 'payment'
          where (o.status in ('completed', 'refunded', 'partially_refunded') and t.id is null)
             or (o.status in ('pending', 'failed', 'authorized', 'voided') and o.transaction_id is not null)
          union all
          select transaction_id::text from orders where transaction_id is not null group by transaction_id having count(*) > 1`,
  },
  {
    rule: "each order's captured amount is what its payment transaction took (0 without one)",
    sql: `select o.id::text as id from orders o
          left join ledger_transactions t on t.id = o.transaction_id
          where o.captured_amount <> coalesce(t.amount, 0)`,
  },
  {
    rule: "each authorization's hold is the order's amount, and is still held (authorized) or all of it captured or released",
    sql: `select o.id::text as id from orders o
          join ledger_transactions h on h.id = o.authorization_transaction_id
          left join (select reference, sum(amount) as total from ledger_transactions where type = 'release' group by reference) r
            on r.reference = 'order:' || o.id
          where h.type <> 'hold' or h.amount <> o.amount or h.reference <> 'order:' || o.id
             or (o.status = 'authorized' and (coalesce(r.total, 0) <> 0 or o.captured_amount <> 0))
             or (o.status <> 'authorized' and coalesce(r.total, 0) + o.captured_amount <> o.amount)`,
  },
  {
    rule: "each order's refunded amount equals the sum of its refund transactions",
    sql: `select o.id::text as id from orders o
          left join (select reference, sum(amount) as total from ledger_transactions where type = 'refund' group by reference) r
            on r.reference = 'order:' || o.id
          where o.refunded_amount <> coalesce(r.total, 0)`,
  },
  {
    rule: "each environment's funding float counters equal its funding postings (deposits; used by topups)",
    sql: `select coalesce(f.env_id, p.env_id)::text || ':' || coalesce(f.currency, p.currency) as id
          from environment_funding f
          full join (
            select p.env_id, p.currency,
              coalesce(sum(p.amount) filter (where t.type = 'deposit'), 0) as deposited,
              -coalesce(sum(p.amount) filter (where t.type <> 'deposit'), 0) as used
            from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
            where p.account = 'funding' group by p.env_id, p.currency
          ) p on p.env_id = f.env_id and p.currency = f.currency
          where coalesce(f.deposited, 0) <> coalesce(p.deposited, 0) or coalesce(f.used, 0) <> coalesce(p.used, 0)`,
  },
  {
    rule: 'no environment has used more than its deposits and credit line',
    sql: `select env_id::text || ':' || currency as id from environment_funding where deposited + credit_line - used < 0`,
  },
  {
    rule: "each transaction's fee payers (ledger_fees) add up to its postings to the fees account",
    sql: `select coalesce(p.transaction_id, f.transaction_id)::text as id
          from (select transaction_id, sum(amount) as total from ledger_postings where account = 'fees' group by transaction_id) p
          full join (select transaction_id, sum(amount) as total from ledger_fees group by transaction_id) f on f.transaction_id = p.transaction_id
          where coalesce(p.total, 0) <> coalesce(f.total, 0)`,
  },
  {
    rule: 'no fees account is negative, per environment and currency',
    sql: `select env_id::text || ':' || currency as id from ledger_postings where account = 'fees' group by env_id, currency having sum(amount) < 0`,
  },
  {
    rule: "each charged order's fee is what its payment posted to fees, and its splits' fees add up to it",
    sql: `select o.id::text as id from orders o
          left join (select transaction_id, sum(amount) as total from ledger_postings where account = 'fees' group by transaction_id) p
            on p.transaction_id = o.transaction_id
          left join (select order_id, sum(fee) as fees from order_splits group by order_id) s on s.order_id = o.id
          where o.transaction_id is not null
            and (o.fee <> coalesce(p.total, 0) or (s.order_id is not null and s.fees <> o.fee))`,
  },
  {
    rule: "each charged split order's sellers got their captured parts (part × captured / amount, rounded down) less their fees, in its payment",
    sql: `select o.id::text as id from orders o join order_splits s on s.order_id = o.id
          where o.transaction_id is not null
          group by o.id, o.transaction_id, o.wallet_id
          having sum(s.amount * o.captured_amount / o.amount - s.fee) <> coalesce((select sum(p.amount) from ledger_postings p
            where p.transaction_id = o.transaction_id and p.account = 'wallet' and p.wallet_id <> o.wallet_id), 0)`,
  },
  {
    rule: 'only deposits post to the settlement account',
    sql: `select t.id::text as id from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
          where p.account = 'settlement' and t.type <> 'deposit'`,
  },
  {
    rule: 'only card top-ups post to the Stripe clearing and balance accounts',
    sql: `select t.id::text as id from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
          where p.account in ('stripe_clearing', 'stripe_balance') and t.type not in ('card_topup', 'card_clearing')`,
  },
  {
    rule: 'each card top-up is credited once exactly when completed, cleared once when available, and its clearing balance is minus what is not yet available',
    sql: `select c.id::text as id from card_topups c
          left join (
            select t.reference,
              count(distinct t.id) filter (where t.type = 'card_topup') as credits,
              count(distinct t.id) filter (where t.type = 'card_clearing') as clearings,
              coalesce(sum(p.amount) filter (where p.account = 'stripe_clearing'), 0) as clearing
            from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
            where t.type in ('card_topup', 'card_clearing') group by t.reference
          ) x on x.reference = 'card_topup:' || c.id
          where coalesce(x.credits, 0) <> (case when c.status = 'completed' then 1 else 0 end)
             or coalesce(x.clearings, 0) <> (case when c.available_at is null then 0 else 1 end)
             or coalesce(x.clearing, 0) <> (case when c.status = 'completed' and c.available_at is null then -c.amount else 0 end)`,
  },
];

export interface Violation {
  rule: string;
  ids: string[];
}

export async function findLedgerViolations(pool: Pool): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const { rule, sql } of RULES) {
    const { rows } = await pool.query<{ id: string }>(sql);
    if (rows.length) violations.push({ rule, ids: rows.slice(0, 20).map((r) => r.id) });
  }
  return violations;
}
