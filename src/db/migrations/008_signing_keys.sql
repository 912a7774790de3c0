-- Signed-request mode (issue 10, section 4).
--
-- Signing keys: the key a merchant signs with is derived from its secret
-- (HMAC-SHA256 under the public label "paynocchio-signing-key-v2", see src/signing-keys.ts),
-- so the stored lookup digest (secret_hash = SHA-256(secret)) no longer signs. The server
-- keeps that key only encrypted (AES-256-GCM under a key derived from SECRETS_PEPPER,
-- bound to env_id and secret_hash). Rows created before this migration have no key:
-- the API fills it the next time the secret is presented in bearer mode, or a rotation
-- makes a new secret that has one; until then signed mode is refused for that secret.
alter table environment_secrets add column signing_key_enc bytea;

-- Signatures already accepted, kept until their timestamp has left the window, so a
-- captured signed request cannot be replayed (insert on conflict → 401 replayed_signature).
-- Purged by the worker's housekeeping.
create table seen_signatures (
  env_id bigint not null,
  signature bytea not null,
  expires_at timestamptz not null,
  primary key (env_id, signature)
);
create index seen_signatures_expires on seen_signatures (expires_at);
