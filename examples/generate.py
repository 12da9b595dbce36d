"""Write the bundled example statements: two years (2022, 2023) of one made-up person's money.

Jordan Avery (fake person, fake numbers) lives in San Francisco and keeps:
- a checking account at Harbor Point Credit Union (fictional): OFX 1.02 SGML, one file a year;
- a high-yield savings account at Summit Online Savings (fictional): QIF, one file a year;
- a Chase Freedom card: Chase's credit-card CSV (purchases negative), one file a year;
- a Capital One Quicksilver card: Capital One's CSV with a "Card No." column; the card was
  lost on 2023-06-12 and replaced (…4417 becomes …8823), one file a year;
- an ING (Germany) Girokonto from a year spent in Berlin: ING's "Umsatzanzeige" CSV
  (ISO-8859-1, `;`, decimal commas, key/value preamble), one file a year.

Everything comes from one exact Decimal ledger built with a fixed seed, so running this again
writes byte-identical files. The same ledger gives `expected.json` (counts, sums, date spans per
file, yearly figures per currency, the subscriptions, the card replacement and the BNPL plans) and
`labels.csv` (the intended merchant, category and kind of every row): an independent computation
that the tests compare with what moneystory reads back.

    python examples/generate.py            # (re)write examples/statements/ and the two files
    python examples/generate.py --check    # exit 1 if the committed files differ
"""

from __future__ import annotations

import argparse
import calendar
import csv
import io
import itertools
import json
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

Day = date  # the Txn field `date` would shadow the type in its own annotations
SEED = 20230612  # the day the Capital One card was lost
HERE = Path(__file__).resolve().parent
STATEMENTS = HERE / "statements"
YEARS = (2022, 2023)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

CARD_OLD, CARD_NEW, CARD_REPLACED_ON = "4417", "8823", date(2023, 6, 12)
PLEDGE_DATE = date(2023, 7, 1)  # a date the demo pledges from: one BNPL plan before, one after

ACCOUNTS: dict[str, dict[str, str]] = {
    "checking": {"institution": "Harbor Point Credit Union", "kind": "checking",
                 "number": "7710048213", "currency": "USD", "format": "ofx"},
    "savings": {"institution": "Summit Online Savings", "kind": "savings",
                "number": "3390", "currency": "USD", "format": "qif"},
    "chase": {"institution": "Chase", "kind": "credit_card", "number": "5521",
              "currency": "USD", "format": "csv (Chase credit card)"},
    "capitalone": {"institution": "Capital One", "kind": "credit_card",
                   "number": f"{CARD_OLD} then {CARD_NEW}", "currency": "USD",
                   "format": "csv (Capital One credit card)"},
    "ing": {"institution": "ING (Germany)", "kind": "checking",
            "number": "DE52 5001 0517 5419 3348 71", "currency": "EUR",
            "format": "csv (ING Germany Umsatzanzeige)"},
}
FILE_NAMES = {
    "checking": "harborpoint-checking-{y}.ofx",
    "savings": "summit-savings-{y}.qif",
    "chase": "chase-freedom-{y}.csv",
    "capitalone": "capitalone-quicksilver-{y}.csv",
    "ing": "ing-girokonto-{y}.csv",
}


@dataclass
class Txn:
    """One statement line, exact, from the holder's view (money out negative)."""

    account: str
    date: Day
    amount: Decimal
    description: str  # the main text as the bank writes it
    merchant: str  # what a person would call it (the label enrichment should reach)
    category: str
    kind: str
    currency: str = "USD"
    card_last4: str | None = None
    post_date: Day | None = None
    bank_category: str | None = None
    chase_type: str | None = None
    memo: str | None = None
    trntype: str | None = None
    buchungstext: str | None = None  # ING: booking type
    verwendungszweck: str | None = None  # ING: purpose text
    stream: str | None = None
    bnpl: dict[str, Any] | None = None
    order: int = 0  # stable order within a day
    line: int = 0  # 1-based line in the written file (set by the writer)
    file: str = ""


@dataclass
class Ledger:
    rng: random.Random
    txns: list[Txn] = field(default_factory=list)
    counter: int = 0

    def add(self, txn: Txn) -> Txn:
        self.counter += 1
        txn.order = self.counter
        txn.amount = txn.amount.quantize(CENT)
        self.txns.append(txn)
        return txn

    def of(self, account: str) -> list[Txn]:
        return sorted((t for t in self.txns if t.account == account),
                      key=lambda t: (t.date, t.order))


# ---------------------------------------------------------------- small exact helpers

def cents(rng: random.Random, low: str, high: str) -> Decimal:
    """A random amount between low and high, drawn in whole cents (never a float)."""
    lo, hi = int(Decimal(low) * 100), int(Decimal(high) * 100)
    return Decimal(rng.randint(lo, hi)).scaleb(-2)


def pct(amount: Decimal, percent: str) -> Decimal:
    return (amount * Decimal(percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def clamp_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def months(start: date, end: date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def business_day_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def business_day_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def random_days(rng: random.Random, year: int, month: int, count: int) -> list[date]:
    last = calendar.monthrange(year, month)[1]
    return sorted(date(year, month, rng.randint(1, last)) for _ in range(count))


def code(rng: random.Random, length: int = 6) -> str:
    return "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(length))


START, END = date(2022, 1, 1), date(2023, 12, 31)


# ---------------------------------------------------------------- the Chase Freedom card

GROCERS = [("TRADER JOE S #236", "Trader Joe's", "20", "95"),
           ("SAFEWAY #1507", "Safeway", "15", "120"),
           ("WHOLEFDS MKT 10259", "Whole Foods Market", "25", "140")]
COFFEE = [("SQ *BLUE BOTTLE COF", "Blue Bottle Coffee"),
          ("STARBUCKS STORE 05512", "Starbucks"),
          ("SQ *RITUAL COFFEE ROAS", "Ritual Coffee Roasters")]
RESTAURANTS = [("TST* NOPALITO", "Nopalito"), ("SQ *TARTINE BAKERY", "Tartine Bakery"),
               ("CHIPOTLE 2214", "Chipotle"), ("SWEETGREEN SF MARKET", "Sweetgreen"),
               ("TST* LITTLE STAR PIZZA", "Little Star Pizza"),
               ("HOG ISLAND OYSTER CO", "Hog Island Oyster Co.")]
GIFT_SHOPS = [("TARGET 00027516", "Target", "general_merchandise", "Shopping"),
              ("APPLE STORE #R075", "Apple", "general_merchandise", "Shopping"),
              ("ETSY.COM - LINENFOX", "Etsy", "general_merchandise", "Shopping"),
              ("NORDSTROM #0427", "Nordstrom", "general_merchandise", "Shopping"),
              ("CB2 SAN FRANCISCO", "CB2", "home", "Home")]


def chase_sale(ledger: Ledger, day: date, amount: Decimal, text: str, merchant: str,
               category: str, bank_category: str, kind: str = "purchase",
               stream: str | None = None, lag: int | None = None) -> Txn:
    lag = ledger.rng.randint(1, 2) if lag is None else lag
    return ledger.add(Txn(
        "chase", day, -amount, text, merchant, category, kind,
        post_date=min(day + timedelta(days=lag), date(day.year, 12, 31)),
        bank_category=bank_category, chase_type="Sale", stream=stream,
    ))


def chase_foreign(ledger: Ledger, day: date, amount: Decimal, text: str, merchant: str,
                  category: str, bank_category: str) -> None:
    """A purchase abroad, and the 3% foreign-transaction fee Chase Freedom adds beside it."""
    chase_sale(ledger, day, amount, text, merchant, category, bank_category)
    ledger.add(Txn("chase", day, -pct(amount, "3"), "FOREIGN TRANSACTION FEE", "Chase",
                   "bank_fees", "fee", post_date=min(day + timedelta(days=1),
                                                    date(day.year, 12, 31)),
                   bank_category="Fees & Adjustments", chase_type="Fee"))


def build_chase(ledger: Ledger) -> None:
    rng = ledger.rng
    for year, month in months(START, END):
        grow = Decimal("1.08") if year == 2023 else Decimal(1)  # groceries got dearer
        for day in random_days(rng, year, month, rng.randint(8, 12)):
            text, merchant, lo, hi = rng.choice(GROCERS)
            chase_sale(ledger, day, (cents(rng, lo, hi) * grow).quantize(CENT), text, merchant,
                       "groceries", "Groceries")
        for day in random_days(rng, year, month, rng.randint(14, 21)):
            text, merchant = rng.choice(COFFEE)
            chase_sale(ledger, day, cents(rng, "4.25", "7.90"), text, merchant, "coffee",
                       "Food & Drink")
        eat_out = rng.randint(4, 6) if year == 2022 else rng.randint(7, 9)  # grows in 2023
        for day in random_days(rng, year, month, eat_out):
            text, merchant = rng.choice(RESTAURANTS)
            chase_sale(ledger, day, cents(rng, "14", "96"), text, merchant, "restaurants",
                       "Food & Drink")
        for day in random_days(rng, year, month, rng.randint(1, 3)):
            chase_sale(ledger, day, cents(rng, "9", "34"),
                       f"LYFT   *RIDE {day.strftime('%a').upper()} {rng.randint(1, 11)}PM",
                       "Lyft", "transportation", "Travel")
        for day in random_days(rng, year, month, 2):
            chase_sale(ledger, day, cents(rng, "42", "71"), "SHELL OIL 57444512", "Shell",
                       "transportation", "Gas")
        for day in random_days(rng, year, month, rng.randint(2, 4)):
            chase_sale(ledger, day, cents(rng, "11", "89"), f"AMZN Mktp US*{code(rng)}",
                       "Amazon", "general_merchandise", "Shopping")
        if rng.random() < 0.35:
            day = random_days(rng, year, month, 1)[0]
            chase_sale(ledger, day, cents(rng, "8", "42"), "WALGREENS #5921", "Walgreens",
                       "medical", "Health & Wellness")
        # Google One, 2 TB plan billed on the 6th: cloud storage beside iCloud on the other card
        chase_sale(ledger, date(year, month, 6), Decimal("2.99"), "GOOGLE *Google One",
                   "Google One", "subscriptions", "Bills & Utilities", stream="google-one",
                   lag=1)
        if month == 12:  # the December peak: presents, in both years
            for day in random_days(rng, year, month, 6 if year == 2022 else 8):
                text, merchant, category, bank_category = rng.choice(GIFT_SHOPS)
                chase_sale(ledger, day, cents(rng, "35", "240"), text, merchant, category,
                           bank_category)
        if month == 11:  # Black Friday
            chase_sale(ledger, date(year, 11, 25 if year == 2022 else 24), cents(rng, "180", "320"),
                       "BESTBUY.COM 806645", "Best Buy", "general_merchandise", "Shopping")
    for year in YEARS:  # Amazon Prime, yearly on 14 March
        chase_sale(ledger, date(year, 3, 14), Decimal("139.00"), f"Amazon Prime*{code(rng, 9)}",
                   "Amazon Prime", "subscriptions", "Shopping", stream="amazon-prime")
    _chase_returns(ledger)
    _chase_trips(ledger)
    _chase_klarna(ledger)


def _chase_returns(ledger: Ledger) -> None:
    """Two Amazon orders sent back: the refund carries the order's descriptor, positive."""
    for bought, returned, amount in ((date(2022, 9, 8), date(2022, 9, 21), Decimal("48.17")),
                                     (date(2023, 2, 11), date(2023, 2, 24), Decimal("64.99"))):
        text = f"AMZN Mktp US*{code(ledger.rng)}"
        chase_sale(ledger, bought, amount, text, "Amazon", "general_merchandise", "Shopping")
        ledger.add(Txn("chase", returned, amount, text, "Amazon", "general_merchandise", "refund",
                       post_date=returned + timedelta(days=1), bank_category="Shopping",
                       chase_type="Return"))


def _chase_trips(ledger: Ledger) -> None:
    """Christmas 2022 in Berlin and August 2023 in Berlin and Lisbon, paid partly by card."""
    rng = ledger.rng
    chase_sale(ledger, date(2022, 10, 18), Decimal("1184.60"), "UNITED 0162384756120",
               "United Airlines", "travel", "Travel")
    chase_sale(ledger, date(2023, 5, 22), Decimal("1342.30"), "LUFTHANSA 2202317465583",
               "Lufthansa", "travel", "Travel")
    abroad = [
        (date(2022, 12, 21), "448.12", "HOTEL AMANO GRAND CENTRAL BERLIN", "Hotel Amano",
         "travel", "Travel"),
        (date(2022, 12, 23), "86.40", "KADEWE BERLIN", "KaDeWe", "general_merchandise",
         "Shopping"),
        (date(2022, 12, 27), "64.35", "RESTAURANT BORCHARDT BERLIN", "Borchardt",
         "restaurants", "Food & Drink"),
        (date(2023, 8, 7), "612.88", "HOTEL AMANO GRAND CENTRAL BERLIN", "Hotel Amano",
         "travel", "Travel"),
        (date(2023, 8, 9), "58.20", "CAFE EINSTEIN STAMMHAUS BERLIN", "Café Einstein",
         "coffee", "Food & Drink"),
        (date(2023, 8, 12), "122.75", "DB VERTRIEB GMBH FRANKFURT", "Deutsche Bahn",
         "travel", "Travel"),
        (date(2023, 8, 14), "498.30", "PESTANA PALACE LISBOA", "Pestana Palace", "travel",
         "Travel"),
        (date(2023, 8, 15), "47.90", "TIME OUT MARKET LISBOA", "Time Out Market", "restaurants",
         "Food & Drink"),
        (date(2023, 8, 17), "73.10", "CERVEJARIA RAMIRO LISBOA", "Cervejaria Ramiro",
         "restaurants", "Food & Drink"),
    ]
    for day, amount, text, merchant, category, bank_category in abroad:
        chase_foreign(ledger, day, Decimal(amount), text, merchant, category, bank_category)
    for _ in range(3):
        day = date(2023, 8, rng.randint(14, 18))
        chase_foreign(ledger, day, cents(rng, "9", "31"), "UBER *TRIP LISBOA", "Uber",
                      "transportation", "Travel")


def _chase_klarna(ledger: Ledger) -> None:
    """Klarna pay-in-4 for trainers, opened after the pledge date: four charges 14 days apart."""
    first = date(2023, 10, 14)
    for n in range(4):
        day = first + timedelta(days=14 * n)
        chase_sale(ledger, day, Decimal("37.49"), "KLARNA*NIKE.COM", "Klarna", "loan_payments",
                   "Shopping", kind="bnpl", lag=1).bnpl = {
            "provider": "Klarna", "plan": "klarna-nike-2023", "instalment": n + 1, "of": 4,
            "shop": "Nike", "total": "149.96"}


# ---------------------------------------------------------------- the Capital One card

def card_for(day: date) -> str:
    return CARD_NEW if day >= CARD_REPLACED_ON else CARD_OLD


def capone(ledger: Ledger, day: date, amount: Decimal, text: str, merchant: str,
           category: str, bank_category: str, kind: str = "purchase",
           stream: str | None = None) -> Txn:
    return ledger.add(Txn(
        "capitalone", day, -amount, text, merchant, category, kind, card_last4=card_for(day),
        post_date=min(day + timedelta(days=ledger.rng.randint(1, 2)), date(day.year, 12, 31)),
        bank_category=bank_category, stream=stream,
    ))


def build_capone(ledger: Ledger) -> None:
    """The card that holds most subscriptions, and what each did after the 2023-06-12 loss.

    Netflix, Spotify, iCloud+ and the gym moved at their next charge; Disney+ failed twice and
    came back in September; Patreon never moved (stopped); GEICO's October charge never came
    (overdue); the domain renews in March 2024 (pending). Card-on-file shops (Uber, DoorDash,
    eBay, Steam through PayPal, Etsy) are on the new card from their next order.
    """
    rng = ledger.rng
    for year, month in months(START, END):
        day = date(year, month, 9)
        netflix = Decimal("22.99") if day >= date(2023, 10, 9) else Decimal("19.99")
        capone(ledger, day, netflix, "NETFLIX.COM 866-579-7172 CA", "Netflix", "subscriptions",
               "Entertainment", stream="netflix")
        day = date(year, month, 21)
        spotify = Decimal("10.99") if day >= date(2023, 7, 21) else Decimal("9.99")
        capone(ledger, day, spotify, "Spotify USA", "Spotify", "subscriptions",
               "Entertainment", stream="spotify")
        day = date(year, month, 3)
        # Disney+ failed on the lost card in July and August, then was updated in September.
        if not (year == 2023 and month in (7, 8)):
            disney = Decimal("10.99") if day >= date(2022, 12, 3) else Decimal("7.99")
            capone(ledger, day, disney, "DisneyPLUS 888-905-7888 CA", "Disney+",
                   "subscriptions", "Entertainment", stream="disney-plus")
        capone(ledger, date(year, month, 17), Decimal("2.99"), "APPLE.COM/BILL 866-712-7753 CA",
               "iCloud+", "subscriptions", "Internet", stream="icloud")
        capone(ledger, date(year, month, 24), Decimal("29.99"), "CRUNCH FITNESS #312",
               "Crunch Fitness", "personal_care", "Entertainment", stream="crunch-fitness")
        # Patreon never got the new card: its last charge is May 2023 (stopped).
        if (year, month) <= (2023, 5):
            capone(ledger, date(year, month, 1), Decimal("5.00"), "Patreon* Membership",
                   "Patreon", "subscriptions", "Entertainment", stream="patreon")
        for day in random_days(rng, year, month, rng.randint(2, 4)):
            capone(ledger, day, cents(rng, "11", "38"), "UBER *TRIP HELP.UBER.COM", "Uber",
                   "transportation", "Other Travel")
        deliveries = rng.randint(1, 3) if year == 2022 else rng.randint(4, 6)  # grows in 2023
        for day in random_days(rng, year, month, deliveries):
            shop = rng.choice(["CHIPOTLE", "SUPER DUPER", "THAI IDEA", "PIZZERIA DELFINA"])
            capone(ledger, day, cents(rng, "21", "58"), f"DOORDASH*{shop}", "DoorDash",
                   "food_delivery", "Dining")
        for day in random_days(rng, year, month, rng.randint(1, 3)):
            name, merchant = rng.choice([("THE MILL", "The Mill"),
                                         ("PHILZ COFFEE", "Philz Coffee")])
            capone(ledger, day, cents(rng, "4.50", "8.75"), name, merchant, "coffee", "Dining")
        if month in (2, 5, 8, 11):
            capone(ledger, random_days(rng, year, month, 1)[0], cents(rng, "15", "65"),
                   f"EBAY O*{rng.randint(10, 99)}-{rng.randint(10000, 99999)}-"
                   f"{rng.randint(10000, 99999)}", "eBay", "general_merchandise", "Merchandise")
        if month in (1, 4, 7, 10):
            capone(ledger, random_days(rng, year, month, 1)[0], cents(rng, "9", "60"),
                   "PAYPAL *STEAM GAMES", "Steam", "entertainment", "Entertainment")
        if month == 12:
            for day in random_days(rng, year, month, 3):
                capone(ledger, day, cents(rng, "40", "160"), "ETSY.COM - NORTHWOODSPAPER",
                       "Etsy", "general_merchandise", "Merchandise")
    # Geico car insurance, every six months; the October 2023 charge never came (overdue).
    for day, amount in ((date(2022, 4, 2), "612.40"), (date(2022, 10, 2), "612.40"),
                        (date(2023, 4, 2), "648.10")):
        capone(ledger, day, Decimal(amount), "GEICO *AUTO", "GEICO", "services", "Insurance",
               stream="geico")
    # The domain renews each March: next due March 2024 (pending at the end of 2023).
    for day, amount in ((date(2022, 3, 4), "15.88"), (date(2023, 3, 4), "16.88")):
        capone(ledger, day, Decimal(amount), "NAMECHEAP.COM", "Namecheap", "subscriptions",
               "Internet", stream="namecheap")
    _capone_afterpay(ledger)


def _capone_afterpay(ledger: Ledger) -> None:
    """Afterpay for a beauty order, 4 x 37.50 fortnightly, straddling the pledge date.

    The second instalment was due on 17 June, five days after the card was lost: it failed,
    so Afterpay charged it on the new card two days late, with its $8 late fee.
    """
    plan = {"provider": "Afterpay", "plan": "afterpay-ulta-2023", "of": 4, "shop": "Ulta Beauty",
            "total": "150.00"}
    days = [date(2023, 6, 3), date(2023, 6, 19), date(2023, 7, 1), date(2023, 7, 15)]
    for n, day in enumerate(days):
        txn = capone(ledger, day, Decimal("37.50"), "AFTERPAY*ULTA BEAUTY", "Afterpay",
                     "loan_payments", "Merchandise", kind="bnpl")
        txn.bnpl = {**plan, "instalment": n + 1}
    capone(ledger, date(2023, 6, 19), Decimal("8.00"), "AFTERPAY LATE FEE", "Afterpay",
           "bank_fees", "Fee/Interest Charge", kind="fee").bnpl = {**plan, "late_fee": True}


# ---------------------------------------------------------------- the ING Girokonto (EUR)

def ing(ledger: Ledger, day: date, amount: Decimal, who: str, booking: str, purpose: str,
        merchant: str, category: str, kind: str, card: bool = False,
        value_date: date | None = None) -> Txn:
    """One ING row: `day` is the booking date (Buchung), `value_date` the Wertstellung."""
    return ledger.add(Txn(
        "ing", day, amount, f"{who} {purpose}".strip(), merchant, category, kind,
        currency="EUR", post_date=value_date or day, buchungstext=booking,
        verwendungszweck=purpose,
        memo=who, card_last4="7731" if card else None,
    ))


def ing_card(ledger: Ledger, day: date, amount: Decimal, shop: str, city: str, merchant: str,
             category: str) -> None:
    """A Visa debit card payment as ING writes it: "VISA <shop>" and an NR XXXX … line."""
    rng = ledger.rng
    booked = business_day_after(day + timedelta(days=rng.randint(1, 2)))
    purpose = (f"NR XXXX 7731 {city} DE KAUFUMSATZ {day:%d.%m} {amount:.2f} "
               f"{rng.randint(100000, 999999)} ARN7483072{rng.randint(10**15, 10**16 - 1)}")
    ing(ledger, booked, -amount, f"VISA {shop}", "Lastschrift", purpose, merchant, category,
        "purchase", card=True, value_date=day)


def build_ing(ledger: Ledger) -> None:
    rng = ledger.rng
    for year, month in months(START, END):  # €4.90 a month while under €700 comes in
        last = business_day_before(clamp_day(year, month, 31))
        ing(ledger, last, Decimal("-4.90"), "ING", "Entgelt",
            f"Kontoführungsentgelt {month:02d}/{year}", "ING", "bank_fees", "fee")
    ing(ledger, date(2022, 11, 30), Decimal("1000.00"), "JORDAN AVERY", "Gutschrift",
        "Wise transfer TRWI 8836152", "Jordan Avery", "transfer", "transfer")
    ing(ledger, date(2023, 7, 27), Decimal("750.00"), "JORDAN AVERY", "Gutschrift",
        "Wise transfer TRWI 9920417", "Jordan Avery", "transfer", "transfer")
    trips = ((date(2022, 12, 20), date(2023, 1, 2)), (date(2023, 8, 5), date(2023, 8, 13)))
    shops = [("REWE SAGT DANKE", "REWE", "groceries", "8", "46"),
             ("LIDL DIENSTLEISTUNG", "Lidl", "groceries", "6", "31"),
             ("BVG BERLIN", "BVG", "transportation", "3.20", "9.90"),
             ("DM DROGERIE MARKT", "dm", "personal_care", "4", "28"),
             ("EINSTEIN KAFFEE", "Einstein Kaffee", "coffee", "3.40", "8.90"),
             ("CURRY 36", "Curry 36", "restaurants", "7", "19"),
             ("MONSIEUR VUONG", "Monsieur Vuong", "restaurants", "18", "54")]
    for first, last in trips:
        day = first
        while day <= last:
            for _ in range(rng.randint(1, 3)):
                shop, merchant, category, lo, hi = rng.choice(shops)
                ing_card(ledger, day, cents(rng, lo, hi), shop, "BERLIN", merchant, category)
            day += timedelta(days=1)
        ing(ledger, first + timedelta(days=2), Decimal("-200.00"), "VISA BERLINER SPARKASSE",
            "Bargeldauszahlung", f"NR XXXX 7731 BERLIN DE BARGELDAUSZAHLUNG "
            f"{first + timedelta(days=2):%d.%m} 200.00", "Cash", "transfer", "atm", card=True)
    ing_card(ledger, date(2022, 12, 24), Decimal("36.50"), "WEIHNACHTSMARKT GENDARMENMARKT",
             "BERLIN", "Weihnachtsmarkt Gendarmenmarkt", "entertainment")
    _ing_klarna(ledger)


def _ing_klarna(ledger: Ledger) -> None:
    """Klarna pay-in-4 for a Zalando order in November 2022, by direct debit (before the pledge)."""
    first = date(2022, 11, 21)
    for n in range(4):
        day = business_day_after(first + timedelta(days=14 * n))
        ing(ledger, day, Decimal("-22.49"), "Klarna Bank AB (publ)", "Lastschrift",
            f"KLARNA*ZALANDO Rate {n + 1} von 4 Bestellnr. 10527734", "Klarna",
            "loan_payments", "bnpl").bnpl = {
            "provider": "Klarna", "plan": "klarna-zalando-2022", "instalment": n + 1, "of": 4,
            "shop": "Zalando", "total": "89.96"}


# ---------------------------------------------------------------- checking and savings

SALARY = {2022: Decimal("2846.15"), 2023: Decimal("3012.40")}


def card_bills(ledger: Ledger, account: str) -> dict[tuple[int, int], Decimal]:
    """What each month's card activity adds up to (what autopay clears the month after)."""
    totals: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for txn in ledger.of(account):
        if txn.kind != "transfer":
            totals[(txn.date.year, txn.date.month)] -= txn.amount
    return totals


def checking(ledger: Ledger, day: date, amount: Decimal, name: str, merchant: str,
             category: str, kind: str, trntype: str, memo: str | None = None,
             stream: str | None = None) -> Txn:
    assert len(name) <= 32, name  # OFX 1.02 cuts NAME at 32 characters
    return ledger.add(Txn("checking", day, amount, name, merchant, category, kind, post_date=day,
                          memo=memo, trntype=trntype, stream=stream))


def build_bills(ledger: Ledger) -> None:
    """Salary, rent, utilities and the rest that does not depend on the running balance."""
    rng = ledger.rng
    for year, month in months(START, END):
        for pay_day in (date(year, month, 15), clamp_day(year, month, 31)):
            checking(ledger, business_day_before(pay_day), SALARY[year],
                     "ACME ROBOTICS INC PAYROLL", "Acme Robotics", "income", "income",
                     "DIRECTDEP", memo="PPD ID: 9000214433", stream="salary")
        rent = Decimal("2236.00") if (year, month) >= (2023, 3) else Decimal("2150.00")
        checking(ledger, business_day_after(date(year, month, 1)), -rent,
                 "PARKSIDE APARTMENTS RENT", "Parkside Apartments", "rent_utilities", "purchase",
                 "DEBIT", memo="WEB PMT", stream="rent")
        winter = month in (11, 12, 1, 2)
        pge = cents(rng, "108", "164") if winter else cents(rng, "54", "86")
        checking(ledger, business_day_after(date(year, month, 20)), -pge, "PGANDE WEB ONLINE",
                 "PG&E", "rent_utilities", "purchase", "DEBIT", memo="PPD ID: 9941640001",
                 stream="pge")
        internet = Decimal("84.99") if (year, month) >= (2023, 2) else Decimal("79.99")
        checking(ledger, business_day_after(date(year, month, 8)), -internet, "COMCAST XFINITY",
                 "Xfinity", "rent_utilities", "purchase", "DEBIT", memo="PPD ID: 0000212002",
                 stream="xfinity")
        checking(ledger, business_day_after(date(year, month, 22)), -cents(rng, "71.20", "74.80"),
                 "T-MOBILE PCS SVC", "T-Mobile", "rent_utilities", "purchase", "DEBIT",
                 memo="WEB ID: 0000450304", stream="t-mobile")
        checking(ledger, clamp_day(year, month, 31), cents(rng, "0.08", "0.31"),
                 "DIVIDEND", "Harbor Point Credit Union", "income", "interest", "INT")
        if month in (2, 4, 6, 9, 11):
            day = random_days(rng, year, month, 1)[0]
            fee = Decimal("3.00")
            checking(ledger, day, -(Decimal(rng.choice(["60", "80", "100"])) + Decimal("3.50")),
                     "ATM WITHDRAWAL 2001 MISSION ST", "Cash", "transfer", "atm", "ATM",
                     memo="SAN FRANCISCO CA incl. operator fee 3.50")
            checking(ledger, day, -fee, "NON-NETWORK ATM FEE", "Harbor Point Credit Union",
                     "bank_fees", "fee", "FEE")
        for day in random_days(rng, year, month, rng.randint(0, 2)):
            checking(ledger, day, -cents(rng, "18", "64"), "VENMO PAYMENT 1023874455",
                     "Venmo", "other", "purchase", "DEBIT", memo="WEB ID: 3264681992")
    for day, amount in ((date(2022, 4, 13), "1284.00"), (date(2023, 4, 19), "912.00")):
        checking(ledger, day, Decimal(amount), "IRS TREAS 310 TAX REF", "IRS", "income",
                 "income", "CREDIT", memo="PPD ID: 9101036151")
    for day, amount in ((date(2022, 11, 28), "1108.62"), (date(2023, 7, 25), "836.40")):
        checking(ledger, day, -Decimal(amount), "WISE US INC", "Wise", "transfer", "transfer",
                 "DEBIT", memo="WEB ID: 1453233521 to own EUR account")


def build_card_payments(ledger: Ledger) -> None:
    """Autopay clears each card's previous month, on both sides: checking and the card."""
    opening = {"chase": Decimal("1612.77"), "capitalone": Decimal("743.20")}
    for account, day_of_month, name, memo, card_text in (
        ("chase", 5, "CHASE CREDIT CRD AUTOPAY", "PPD ID: 4760039224", "AUTOMATIC PAYMENT - THANK"),
        ("capitalone", 9, "CAPITAL ONE MOBILE PMT", "WEB ID: 9541719318",
         "CAPITAL ONE AUTOPAY PYMT"),
    ):
        bills = card_bills(ledger, account)
        for year, month in months(START, END):
            previous = (year - 1, 12) if month == 1 else (year, month - 1)
            amount = bills.get(previous, opening[account])
            day = business_day_after(date(year, month, day_of_month))
            checking(ledger, day, -amount, name, "Card payment", "loan_payments", "transfer",
                     "PAYMENT", memo=memo)
            if account == "chase":
                ledger.add(Txn("chase", day, amount, card_text, "Card payment", "loan_payments",
                               "transfer", post_date=day, chase_type="Payment"))
            else:
                ledger.add(Txn("capitalone", day, amount, card_text, "Card payment",
                               "loan_payments", "transfer", card_last4=card_for(day),
                               post_date=day, bank_category="Payment/Credit"))


OPENING = {"checking": Decimal("5212.18"), "savings": Decimal("8200.00"),
           "ing": Decimal("1284.37")}


def build_savings_moves(ledger: Ledger) -> None:
    """Sweep what is above a buffer to savings on the 16th; overdraw once in December 2023.

    In November 2023 Jordan moved more than usual to savings for a trip; the large December
    card bill then overdrew checking (one $35 overdraft fee) and $1,500 came back from savings.
    """
    balance = OPENING["checking"]
    events = sorted(ledger.of("checking"), key=lambda t: (t.date, t.order))
    sweep_days = {business_day_after(date(y, m, 16)) for y, m in months(START, END)}
    overdrafts: list[date] = []
    day, last = START, END
    index = 0
    while day <= last:
        while index < len(events) and events[index].date == day:
            balance += events[index].amount
            index += 1
        if balance < 0 and not overdrafts:  # one fee per episode; savings refills it
            overdrafts.append(day)
            balance += checking(ledger, day, Decimal("-35.00"), "OVERDRAFT FEE",
                                "Harbor Point Credit Union", "bank_fees", "fee", "FEE").amount
            back = Decimal("1500.00")
            pull = business_day_after(day + timedelta(days=1))
            checking(ledger, pull, back, "ONLINE TRANSFER FROM SUMMIT", "Summit Online Savings",
                     "transfer", "transfer", "XFER", memo="SAVINGS XXXXXX3390")
            events = sorted(ledger.of("checking"), key=lambda t: (t.date, t.order))
            index = next(i for i, t in enumerate(events) if t.date > day)
            ledger.add(Txn("savings", pull, -back, "Transfer to Harbor Point checking",
                           "Harbor Point Credit Union", "transfer", "transfer",
                           memo="ONLINE TRANSFER XXXXXX8213"))
        if day in sweep_days:
            buffer = Decimal("1000") if (day.year, day.month) == (2023, 11) else Decimal("4000")
            move = ((balance - buffer) / 50).quantize(Decimal(1), rounding="ROUND_FLOOR") * 50
            if move > 0:
                balance -= move
                checking(ledger, day, -move, "ONLINE TRANSFER TO SUMMIT", "Summit Online Savings",
                         "transfer", "transfer", "XFER", memo="SAVINGS XXXXXX3390")
                arrive = business_day_after(day + timedelta(days=1))
                ledger.add(Txn("savings", arrive, move, "Transfer from Harbor Point checking",
                               "Harbor Point Credit Union", "transfer", "transfer",
                               memo="ONLINE TRANSFER XXXXXX8213"))
        day += timedelta(days=1)
    assert [(d.year, d.month) for d in overdrafts] == [(2023, 12)], (
        f"the story needs exactly one overdraft, in December 2023: {overdrafts}")


def build_savings_interest(ledger: Ledger) -> None:
    """Monthly interest on the daily balance's month-end value, at the year's rising rates."""
    rates = {2022: ["0.50"] * 6 + ["1.50"] * 6, 2023: ["3.75"] * 4 + ["4.15"] * 8}
    balance = OPENING["savings"]
    moves = ledger.of("savings")
    for year, month in months(START, END):
        month_end = clamp_day(year, month, 31)
        balance += sum((t.amount for t in moves if (t.date.year, t.date.month) == (year, month)),
                       ZERO)
        interest = (balance * Decimal(rates[year][month - 1]) / 100 / 12).quantize(
            CENT, rounding=ROUND_HALF_UP)
        ledger.add(Txn("savings", month_end, interest, "Interest Paid", "Summit Online Savings",
                       "income", "interest"))
        balance += interest


def build_ledger(seed: int = SEED) -> Ledger:
    ledger = Ledger(random.Random(seed))
    build_chase(ledger)
    build_capone(ledger)
    build_ing(ledger)
    build_bills(ledger)
    build_card_payments(ledger)
    build_savings_moves(ledger)
    build_savings_interest(ledger)
    return ledger


# ---------------------------------------------------------------- writers, one per real layout

def year_rows(ledger: Ledger, account: str, year: int) -> list[Txn]:
    return [t for t in ledger.of(account) if t.date.year == year]


def balance_before(ledger: Ledger, account: str, year: int) -> Decimal:
    earlier = (t.amount for t in ledger.of(account) if t.date.year < year)
    return OPENING[account] + sum(earlier, ZERO)


def write_ofx(ledger: Ledger, year: int, name: str) -> str:
    """OFX 1.02 SGML as US credit unions send it: no closing tags on leaves, LEDGERBAL, FITIDs."""
    rows = year_rows(ledger, "checking", year)
    closing = balance_before(ledger, "checking", year) + sum((t.amount for t in rows), ZERO)
    served = date(year + 1, 1, 3)
    lines = [
        "OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "SECURITY:NONE", "ENCODING:USASCII",
        "CHARSET:1252", "COMPRESSION:NONE", "OLDFILEUID:NONE", "NEWFILEUID:NONE", "",
        "<OFX>", "<SIGNONMSGSRSV1>", "<SONRS>", "<STATUS>", "<CODE>0", "<SEVERITY>INFO",
        "</STATUS>", f"<DTSERVER>{served:%Y%m%d}083012.000[-8:PST]", "<LANGUAGE>ENG",
        "<FI>", "<ORG>HARBORPOINTCU", "<FID>7342", "</FI>", "</SONRS>", "</SIGNONMSGSRSV1>",
        "<BANKMSGSRSV1>", "<STMTTRNRS>", f"<TRNUID>{year}0001", "<STATUS>", "<CODE>0",
        "<SEVERITY>INFO", "</STATUS>", "<STMTRS>", "<CURDEF>USD", "<BANKACCTFROM>",
        "<BANKID>322287310", f"<ACCTID>{ACCOUNTS['checking']['number']}",
        "<ACCTTYPE>CHECKING", "</BANKACCTFROM>", "<BANKTRANLIST>",
        f"<DTSTART>{year}0101", f"<DTEND>{year}1231",
    ]
    per_day: dict[date, int] = defaultdict(int)
    for txn in rows:
        per_day[txn.date] += 1
        txn.file, txn.line = name, len(lines) + 1
        lines += ["<STMTTRN>", f"<TRNTYPE>{txn.trntype}",
                  f"<DTPOSTED>{txn.date:%Y%m%d}120000.000", f"<TRNAMT>{txn.amount}",
                  f"<FITID>{txn.date:%Y%m%d}{per_day[txn.date]:03d}48213",
                  f"<NAME>{txn.description}"]
        if txn.memo:
            lines.append(f"<MEMO>{txn.memo}")
        lines.append("</STMTTRN>")
    lines += ["</BANKTRANLIST>", "<LEDGERBAL>", f"<BALAMT>{closing}",
              f"<DTASOF>{year}1231235959.000[-8:PST]", "</LEDGERBAL>", "<AVAILBAL>",
              f"<BALAMT>{closing}", f"<DTASOF>{year}1231235959.000[-8:PST]", "</AVAILBAL>",
              "</STMTRS>", "</STMTTRNRS>", "</BANKMSGSRSV1>", "</OFX>"]
    return "\r\n".join(lines) + "\r\n"


def qif_amount(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def write_qif(ledger: Ledger, year: int, name: str) -> str:
    """Quicken interchange format, a bank section, US dates, Quicken's grouped amounts."""
    lines = ["!Account", f"N{ACCOUNTS['savings']['institution']}", "TBank", "^", "!Type:Bank"]
    for txn in year_rows(ledger, "savings", year):
        txn.file, txn.line = name, len(lines) + 1
        lines += [f"D{txn.date:%m/%d/%Y}", f"T{qif_amount(txn.amount)}", f"P{txn.description}"]
        if txn.memo:
            lines.append(f"M{txn.memo}")
        lines.append("^")
    return "\n".join(lines) + "\n"


def csv_text(header: list[str], rows: list[list[str]], lineterminator: str = "\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_chase(ledger: Ledger, year: int, name: str) -> str:
    """Chase's card download: newest first, purchases negative, Memo empty."""
    rows = list(reversed(year_rows(ledger, "chase", year)))
    body = []
    for line, txn in enumerate(rows, start=2):
        txn.file, txn.line = name, line
        body.append([f"{txn.date:%m/%d/%Y}", f"{txn.post_date or txn.date:%m/%d/%Y}",
                     txn.description, txn.bank_category or "", txn.chase_type or "Sale",
                     f"{txn.amount}", ""])
    return csv_text(["Transaction Date", "Post Date", "Description", "Category", "Type",
                     "Amount", "Memo"], body)


def write_capone(ledger: Ledger, year: int, name: str) -> str:
    """Capital One's card download: ISO dates, the card's last 4, unsigned Debit/Credit."""
    rows = list(reversed(year_rows(ledger, "capitalone", year)))
    body = []
    for line, txn in enumerate(rows, start=2):
        txn.file, txn.line = name, line
        debit, credit = (f"{-txn.amount}", "") if txn.amount < 0 else ("", f"{txn.amount}")
        body.append([f"{txn.date:%Y-%m-%d}", f"{txn.post_date or txn.date:%Y-%m-%d}",
                     txn.card_last4 or "", txn.description, txn.bank_category or "",
                     debit, credit])
    return csv_text(["Transaction Date", "Posted Date", "Card No.", "Description", "Category",
                     "Debit", "Credit"], body)


def german(amount: Decimal) -> str:
    """1234.5 -> "1.234,50": dot for thousands, comma for decimals, as ING writes."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def write_ing(ledger: Ledger, year: int, name: str) -> bytes:
    """ING Germany's "Umsatzanzeige": ISO-8859-1, `;`, preamble, newest first, running Saldo."""
    rows = year_rows(ledger, "ing", year)
    balance = balance_before(ledger, "ing", year)
    saldo: dict[int, Decimal] = {}
    for txn in rows:
        balance += txn.amount
        saldo[txn.order] = balance
    preamble = [
        f"Umsatzanzeige;Datei erstellt am: 02.01.{year + 1} 09:14", "",
        f"IBAN;{ACCOUNTS['ing']['number']}", "Kontoname;Girokonto", "Bank;ING",
        "Kunde;Jordan Avery", f"Zeitraum;01.01.{year} - 31.12.{year}",
        f"Saldo;{german(balance)};EUR", "", "Sortierung;Datum absteigend", "",
        "In der CSV-Datei finden Sie alle bereits gebuchten Umsätze. Die vorgemerkten Umsätze "
        "werden nicht aufgenommen, auch wenn sie in Ihrem Internetbanking angezeigt werden.", "",
        "Buchung;Wertstellungsdatum;Auftraggeber/Empfänger;Buchungstext;Verwendungszweck;"
        "Saldo;Währung;Betrag;Währung",
    ]
    lines = list(preamble)
    for txn in reversed(rows):
        txn.file, txn.line = name, len(lines) + 1
        fields = [f"{txn.date:%d.%m.%Y}", f"{txn.post_date or txn.date:%d.%m.%Y}",
                  txn.memo or "", txn.buchungstext or "", txn.verwendungszweck or "",
                  german(saldo[txn.order]), "EUR", german(txn.amount), "EUR"]
        assert not any(";" in f for f in fields), fields
        lines.append(";".join(fields))
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")


WRITERS: dict[str, Callable[[Ledger, int, str], str | bytes]] = {
    "checking": write_ofx, "savings": write_qif, "chase": write_chase,
    "capitalone": write_capone, "ing": write_ing,
}


def render_files(ledger: Ledger) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for account, pattern in FILE_NAMES.items():
        for year in YEARS:
            name = pattern.format(y=year)
            content = WRITERS[account](ledger, year, name)
            files[name] = content if isinstance(content, bytes) else content.encode("ascii")
    return files


# ---------------------------------------------------------------- the independent figures

def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def spending_of(txns: list[Txn]) -> Decimal:
    """Money out excluding transfers, net of refunds, as a positive number (DESIGN.md)."""
    out = sum((t.amount for t in txns if t.amount < 0 and t.kind != "transfer"), ZERO)
    refunds = sum((t.amount for t in txns if t.kind == "refund"), ZERO)
    return -(out + refunds)


def file_summary(ledger: Ledger, name: str, account: str) -> dict[str, Any]:
    rows = sorted((t for t in ledger.txns if t.file == name), key=lambda t: (t.date, t.order))
    info = ACCOUNTS[account]
    summary: dict[str, Any] = {
        "account": account, "institution": info["institution"], "kind": info["kind"],
        "format": name.rsplit(".", 1)[1], "layout": info["format"], "currency": info["currency"],
        "rows": len(rows), "sum": money(sum((t.amount for t in rows), ZERO)),
        "money_in": money(sum((t.amount for t in rows if t.amount > 0), ZERO)),
        "money_out": money(sum((t.amount for t in rows if t.amount < 0), ZERO)),
        "min_date": rows[0].date.isoformat(), "max_date": rows[-1].date.isoformat(),
    }
    if account == "capitalone":
        summary["card_last4"] = {c: sum(1 for t in rows if t.card_last4 == c)
                                 for c in sorted({t.card_last4 or "" for t in rows})}
    if account in ("checking", "ing"):
        year = rows[0].date.year
        summary["closing_balance"] = money(balance_before(ledger, account, year + 1))
    return summary


def year_figures(txns: list[Txn]) -> dict[str, Any]:
    by_category: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_month: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for txn in txns:
        if (txn.amount < 0 and txn.kind != "transfer") or txn.kind == "refund":
            by_category[txn.category] -= txn.amount
            by_month[f"{txn.date:%Y-%m}"] -= txn.amount
    income = sum((t.amount for t in txns if t.kind in ("income", "interest")), ZERO)
    spending = spending_of(txns)
    return {
        "transactions": len(txns), "income": money(income), "spending": money(spending),
        "net": money(income - spending),
        "fees": money(-sum((t.amount for t in txns if t.kind == "fee"), ZERO)),
        "bnpl": money(-sum((t.amount for t in txns if t.kind == "bnpl"), ZERO)),
        "refunds": money(sum((t.amount for t in txns if t.kind == "refund"), ZERO)),
        "transfers_out": money(-sum((t.amount for t in txns
                                     if t.kind == "transfer" and t.amount < 0), ZERO)),
        "by_category": {k: money(v) for k, v in sorted(by_category.items(),
                                                       key=lambda kv: (-kv[1], kv[0]))},
        "by_month": {k: money(v) for k, v in sorted(by_month.items())},
    }


CARD_STATES = {  # what each holder of the lost card did, as of 2023-12-31
    "Netflix": "updated", "Spotify": "updated", "iCloud+": "updated",
    "Crunch Fitness": "updated", "Disney+": "updated (after two failed months)",
    "Patreon": "stopped", "GEICO": "overdue", "Namecheap": "pending", "Afterpay": "updated",
    "Uber": "updated", "DoorDash": "updated", "eBay": "updated", "Steam": "updated",
    "Etsy": "updated",
}
CADENCES = {"netflix": "monthly", "spotify": "monthly", "disney-plus": "monthly",
            "icloud": "monthly", "crunch-fitness": "monthly", "patreon": "monthly",
            "geico": "semiannual", "namecheap": "annual", "google-one": "monthly",
            "amazon-prime": "annual", "salary": "semimonthly", "rent": "monthly",
            "pge": "monthly", "xfinity": "monthly", "t-mobile": "monthly"}


def streams(ledger: Ledger) -> list[dict[str, Any]]:
    found: dict[str, list[Txn]] = defaultdict(list)
    for txn in sorted(ledger.txns, key=lambda t: (t.date, t.order)):
        if txn.stream:
            found[txn.stream].append(txn)
    result = []
    for stream, txns in found.items():
        changes = [{"date": b.date.isoformat(), "from": money(abs(a.amount)),
                    "to": money(abs(b.amount))}
                   for a, b in itertools.pairwise(txns)
                   if a.amount != b.amount and stream not in ("pge", "t-mobile")]
        result.append({
            "stream": stream, "merchant": txns[0].merchant, "account": txns[0].account,
            "category": txns[0].category, "cadence": CADENCES[stream],
            "occurrences": len(txns), "first_date": txns[0].date.isoformat(),
            "last_date": txns[-1].date.isoformat(), "last_amount": money(txns[-1].amount),
            "amount_varies": stream in ("pge", "t-mobile"), "price_changes": changes,
            "cards": sorted({t.card_last4 for t in txns if t.card_last4}),
        })
    return sorted(result, key=lambda s: (s["account"], s["stream"]))


def bnpl_plans(ledger: Ledger) -> list[dict[str, Any]]:
    plans: dict[str, list[Txn]] = defaultdict(list)
    for txn in sorted(ledger.txns, key=lambda t: (t.date, t.order)):
        if txn.bnpl and not txn.bnpl.get("late_fee"):
            plans[txn.bnpl["plan"]].append(txn)
    result = []
    for plan, txns in plans.items():
        first = txns[0]
        assert first.bnpl is not None
        result.append({
            "plan": plan, "provider": first.bnpl["provider"], "shop": first.bnpl["shop"],
            "account": first.account, "currency": first.currency, "total": first.bnpl["total"],
            "instalments": [{"date": t.date.isoformat(), "amount": money(t.amount),
                             "card_last4": t.card_last4} for t in txns],
            "before_pledge_date": first.date < PLEDGE_DATE,
            "legacy_after_pledge": money(-sum((t.amount for t in txns if t.date >= PLEDGE_DATE),
                                              ZERO)) if first.date < PLEDGE_DATE else None,
        })
    return result


def expected(ledger: Ledger) -> dict[str, Any]:
    files = {}
    for account, pattern in FILE_NAMES.items():
        for year in YEARS:
            name = pattern.format(y=year)
            files[name] = file_summary(ledger, name, account)
    years: dict[str, dict[str, Any]] = {}
    for year in YEARS:
        per_currency = {}
        for currency in ("USD", "EUR"):
            txns = [t for t in ledger.txns if t.date.year == year and t.currency == currency]
            per_currency[currency] = year_figures(txns)
        years[str(year)] = per_currency
    late_fees = [{"date": t.date.isoformat(), "amount": money(t.amount), "account": t.account,
                  "description": t.description}
                 for t in ledger.txns if t.bnpl and t.bnpl.get("late_fee")]
    return {
        "about": "Written by examples/generate.py from its own Decimal ledger; do not edit.",
        "seed": SEED, "person": "Jordan Avery (fictional)",
        "total_rows": len(ledger.txns), "files": files, "years": years,
        "streams": streams(ledger),
        "card_replacement": {"account": "capitalone", "old": CARD_OLD, "new": CARD_NEW,
                             "replaced_on": CARD_REPLACED_ON.isoformat(),
                             "as_of_end": "2023-12-31", "holders": CARD_STATES},
        "bnpl": {"suggested_pledge_date": PLEDGE_DATE.isoformat(), "plans": bnpl_plans(ledger),
                 "late_fees": late_fees},
    }


def labels(ledger: Ledger) -> str:
    header = ["file", "line", "account", "date", "amount", "currency", "card_last4",
              "description", "merchant", "category", "kind", "stream", "bnpl_provider",
              "bnpl_plan", "bnpl_instalment"]
    rows = []
    for txn in sorted(ledger.txns, key=lambda t: (t.file, t.line)):
        plan = txn.bnpl or {}
        rows.append([txn.file, str(txn.line), txn.account, txn.date.isoformat(), money(txn.amount),
                     txn.currency, txn.card_last4 or "", txn.description, txn.merchant,
                     txn.category, txn.kind, txn.stream or "", plan.get("provider", ""),
                     plan.get("plan", ""), str(plan.get("instalment", ""))])
    return csv_text(header, rows)


def outputs() -> dict[Path, bytes]:
    ledger = build_ledger()
    written = {STATEMENTS / name: content for name, content in render_files(ledger).items()}
    written[HERE / "expected.json"] = (json.dumps(expected(ledger), indent=1, ensure_ascii=False)
                                       + "\n").encode("utf-8")
    written[HERE / "labels.csv"] = labels(ledger).encode("utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the files on disk instead of writing them")
    args = parser.parse_args(argv)
    stale = []
    for path, content in outputs().items():
        if args.check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        print(f"wrote {path.relative_to(HERE)} ({len(content):,} bytes)")
    if stale:
        print("out of date: " + ", ".join(str(p.relative_to(HERE)) for p in stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
