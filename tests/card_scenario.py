"""A card replacement story with a known answer, shared by the card tests.

Card ••1111 (account "visa") is replaced by ••4242 on 2023-06-10. Afterwards Netflix and Amazon
charge the new card, the gym keeps charging the old one once, Spotify and the water bill never
charge again, the insurance and the cloud backup are not due yet, Uber has not been used.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from gen_history import add_months, business_day, frame, row

OLD, NEW = "1111", "4242"
CHANGED_ON = date(2023, 6, 10)
LIST_AS_OF = date(2023, 6, 9)
STATUS_AS_OF = date(2023, 8, 20)


def _card(d: date) -> str:
    return OLD if d < CHANGED_ON else NEW


def scenario_rows(until: date = STATUS_AS_OF) -> list:  # type: ignore[type-arg]
    rows = []

    def charge(d: date, amount: str, merchant: str, category: str, *,
               card: str | None = None, account: str = "visa", **kw: object) -> None:
        if d <= until:
            rows.append(row(account, d, amount, merchant,
                            card=_card(d) if card is None else card,
                            category=category, **kw))  # type: ignore[arg-type]

    start = date(2022, 1, 1)
    for k in range(20):  # Netflix keeps going on the new card
        charge(business_day(add_months(start, k, 15)), "-15.49", "Netflix", "subscriptions")
    for k in range(18):  # Spotify stops at the change (June's charge still on the old card)
        charge(business_day(add_months(start, k, 3)), "-10.99", "Spotify", "subscriptions")
    for k in range(18):  # the gym charges the old card once more, then nothing
        d = business_day(add_months(start, k, 20))
        charge(d, "-39.99", "Iron Gym", "personal_care", card=OLD)
    for k in range(6):  # water every quarter, nothing after the change
        charge(add_months(date(2022, 1, 1), 3 * k, 25), "-80.00", "Aqua Water", "rent_utilities")
    for k in range(4):
        charge(business_day(add_months(date(2021, 8, 1), 6 * k, 12)), "-420.00",
               "Safe Insurance", "services")
    for d in (date(2021, 11, 2), date(2022, 11, 2)):
        charge(d, "-59.00", "Cloud Backup", "subscriptions")
    for k in range(8):  # Hulu ended in 2022: not a holder any more
        charge(business_day(add_months(date(2021, 6, 1), k, 8)), "-7.99", "Hulu",
               "subscriptions")
    for k in range(17):  # active, but the person ends it with `recurring end`
        charge(business_day(add_months(start, k, 27)), "-6.99", "Duolingo", "subscriptions")
    amazon = [date(2022, 8, 2), date(2022, 11, 20), date(2023, 1, 7), date(2023, 3, 30),
              date(2023, 5, 28), date(2023, 7, 14)]
    for i, d in enumerate(amazon):
        charge(d, f"-{23 + 17 * i}.{(i * 37) % 100:02d}", "Amazon", "general_merchandise")
    for i, d in enumerate([date(2022, 9, 9), date(2023, 2, 2), date(2023, 5, 5)]):
        charge(d, f"-{12 + 5 * i}.40", "Uber", "transportation")
    charge(date(2021, 3, 3), "-31.00", "Uber", "transportation")
    for d in (date(2023, 5, 13), date(2023, 5, 27), date(2023, 6, 24)):  # pay-in-4 instalments
        charge(d, "-25.00", "Klarna", "loan_payments", kind="bnpl")
    for i in range(40):  # groceries on the card: frequent, in person, not a holder
        d = date(2022, 6, 1) + timedelta(days=9 * i + i % 4)
        charge(d, f"-{30 + (i * 13) % 70}.{i:02d}", "Fresh Market", "groceries")
    for k in range(20):  # the current account: rent and salary, no card
        charge(add_months(start, k, 1), "-1250.00", "Landlord", "rent_utilities",
               card="", account="checking")
        charge(add_months(start, k, 25), "3100.00", "Acme Payroll", "income", card="",
               account="checking")
    for r in rows:
        if r.card_last4 == "":
            r.card_last4 = None
    return rows


def scenario_frame(until: date = STATUS_AS_OF):  # type: ignore[no-untyped-def]
    return frame(scenario_rows(until))


# The exact card-change list for ••1111 as of LIST_AS_OF: (merchant, reason, next_date).
EXPECTED_LIST = [
    ("Netflix", "subscription", date(2023, 6, 15)),
    ("Iron Gym", "subscription", date(2023, 6, 20)),
    ("Klarna (Shoe Shop)", "bnpl", date(2023, 6, 24)),
    ("Spotify", "subscription", date(2023, 7, 3)),
    ("Aqua Water", "bill", date(2023, 7, 25)),
    ("Safe Insurance", "bill", date(2023, 8, 12)),
    ("Cloud Backup", "subscription", date(2023, 11, 2)),
    ("Amazon", "card_on_file", None),
    ("Uber", "card_on_file", None),
]

# Their states as of STATUS_AS_OF.
EXPECTED_STATES = {
    "Netflix": "updated",
    "Iron Gym": "overdue",
    "Klarna (Shoe Shop)": "updated",
    "Spotify": "stopped",
    "Aqua Water": "overdue",
    "Safe Insurance": "pending",
    "Cloud Backup": "pending",
    "Amazon": "updated",
    "Uber": "pending",
}
