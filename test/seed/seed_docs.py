"""The seed API docs' Python snippets, run as written against a live server.

The calls are the docs' own, character for character, with the one fix the docs need
(`import request` -> `import requests`). The docs' `response.json() == {...}  # True`
lines are pseudo-code (JS-style keys) and assume a balance of 1000.00; here they are
asserts on the same fields, with balances checked relative to the balance read first.

    PAYNOCCHIO_URL=http://127.0.0.1:3000 python3 test/seed/seed_docs.py
"""
import json
import os
from decimal import Decimal

import requests

url = os.environ.get("PAYNOCCHIO_URL", "http://127.0.0.1:3000")
checks = 0


def check(condition, what):
    global checks
    checks += 1
    if not condition:
        raise AssertionError(what)


def wallet_shape(body):
    check(set(body) == {"wallets"}, f"GET /wallet/ body has only 'wallets': {body}")
    w = body["wallets"][0]
    for key in ("id", "user_id", "balance", "currency", "status"):
        check(key in w, f"wallet has {key}: {w}")
    check(isinstance(w["id"], str) and w["id"].isdigit(), f"id is a string of digits: {w['id']!r}")
    check(w["user_id"] == "123" and w["currency"] == "USD" and w["status"] == "active", f"wallet fields: {w}")
    return w


# ---- Create wallet for user -------------------------------------------------------
response = requests.post(
    f"{url}/wallet/",
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
    json=json.dumps({
        "env_id": 123,
	    "user_id": 123,
    })
)
check(response.status_code == 200, f"create wallet: {response.status_code} {response.text}")

response = requests.get(
    f"{url}/wallet/",
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
    params={
        "env_id": 123,
	    "user_id": 123,
    }
)
start = Decimal(str(wallet_shape(response.json())["balance"]))

response = requests.patch(
    f"{url}/wallet/{123}/status/",
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
    json=json.dumps({
        "env_id": "123",
        "user_id": "123",
        "amount": 12.12
    })
)
# The docs' body carries `amount` where `status` belongs: refused, naming the statuses.
check(response.status_code == 422 and "active" in response.json()["error"]["message"], f"patch slip: {response.text}")
response = requests.patch(
    f"{url}/wallet/{123}/status/",
    headers={"X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns"},
    json=json.dumps({"env_id": "123", "user_id": "123", "status": "active"}),
)
check(response.status_code == 200 and set(response.json()) >= {"id", "balance", "currency", "status"}, f"patch: {response.text}")
check(response.json()["id"] == "123" and response.json()["status"] == "active", f"patch: {response.text}")

# ---- Withdraw -------------------------------------------------------------------
response = requests.post(
    f"{url}/wallet/withdraw/",
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
    json=json.dumps({
        "env_id": 123,
	    "user_id": 123,
	    "wallet_id": 123,
	    "amount": 123.12,
    })
)
check(response.status_code == 200 and response.json()["url"].startswith("http"), f"withdraw: {response.text}")
start -= Decimal("123.12")

# ---- Topup ----------------------------------------------------------------------
response = requests.get(
    f"{url}/wallet/",
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
    params={
        "env_id": 123,
	    "user_id": 123,
    }
)
wallet_shape(response.json())

response = requests.post(
    f"{url}/wallet/topup/",
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
    json=json.dumps({
        "env_id": 123,
	    "user_id": response.json()["wallets"][0]["user_id"],
	    "wallet_id": 123,
	    "amount": 100,
    })
)
check(response.status_code == 200, f"topup: {response.text}")

response = requests.get(
    f"{url}/wallet/",
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
    params={
        "env_id": 123,
	    "user_id": 123,
    }
)
check(Decimal(str(response.json()["wallets"][0]["balance"])) == start + 100, f"balance after topup: {response.text}")

# ---- Payments -------------------------------------------------------------------
response = requests.get(
    f"{url}/wallet/",
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
    params={
        "env_id": 123,
	    "user_id": 123,
    }
)
wallet_shape(response.json())

response = requests.post(
    f"{url}/wallet/payment/",
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
    json=json.dumps({
        "env_id": 123,
	    "user_id": response.json()["wallets"][0]["user_id"],
	    "wallet_id": response.json()["wallets"][0]["id"],
	    "amount": 100,
	    "product_id": "asd123"
    })
)
check(response.status_code == 200, f"payment: {response.text}")

response = requests.get(
    f"{url}/wallet/",
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
    params={
        "env_id": 123,
	    "user_id": response.json()["wallets"][0]["user_id"],
    }
)
check(Decimal(str(response.json()["wallets"][0]["balance"])) == start, f"balance after payment: {response.text}")

response = requests.get(
    f'{url}/wallet/{response.json()["wallets"][0]["env_id"]}/orders/{response.json()["wallets"][0]["user_id"]}',
    headers={
        "X-Wallet-Signature": "secret_t1CdN9S8yicG5eWLUOfhcWaOscVnFXns",
    },
)
check(response.status_code == 200, f"orders: {response.text}")
check(response.json()["orders"][0]["product_id"] == "asd123", f"orders: {response.text}")

print(f"seed docs: {checks} checks passed")
