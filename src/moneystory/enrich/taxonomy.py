"""The fixed category ids (modelled on Plaid's personal-finance primary categories) and kinds."""

from __future__ import annotations

CATEGORY_LABELS: dict[str, str] = {
    "income": "Income",
    "transfer": "Transfers",
    "loan_payments": "Loan & credit payments (cards, loans, BNPL)",
    "bank_fees": "Bank fees",
    "entertainment": "Entertainment",
    "groceries": "Groceries",
    "restaurants": "Restaurants & bars",
    "coffee": "Coffee & bakeries",
    "food_delivery": "Food delivery",
    "general_merchandise": "Shopping",
    "home": "Home & garden",
    "medical": "Medical",
    "personal_care": "Personal care & fitness",
    "services": "Services (insurance, post, education, charity)",
    "subscriptions": "Subscriptions & software",
    "government_taxes": "Government & taxes",
    "transportation": "Transportation",
    "travel": "Travel",
    "rent_utilities": "Rent & utilities",
    "other": "Other (uncategorised)",
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_LABELS)
KINDS: tuple[str, ...] = (
    "purchase", "income", "transfer", "refund", "fee", "interest", "atm", "bnpl",
)
UNCATEGORISED = "other"
