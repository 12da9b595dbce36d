"""Each built-in profile for a bank outside the corpus, on a small sample in that bank's layout
(written for this test from the layout the profile documents): it is detected, and reads
dates and signs the bank's way (money out negative)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from moneystory.importers import parse_file
from moneystory.importers.base import ImportOptions

SAMPLES: dict[str, tuple[str, str, list[str], date]] = {
    # profile id: (encoding, text, expected amounts, first date)
    "chase-card-us": ("utf-8", (
        "Transaction Date,Post Date,Description,Category,Type,Amount,Memo\n"
        "01/05/2024,01/06/2024,NETFLIX.COM,Entertainment,Sale,-15.49,\n"
        "01/10/2024,01/10/2024,Payment Thank You-Mobile,,Payment,500.00,\n"
    ), ["-15.49", "500.00"], date(2024, 1, 5)),
    "capitalone-bank-us": ("utf-8", (
        "Account Number,Transaction Description,Transaction Date,Transaction Type,"
        "Transaction Amount,Balance\n"
        "1234,Deposit from ACME,01/05/24,Credit,1000.00,1500.00\n"
        "1234,Debit Card Purchase,01/06/24,Debit,20.00,1480.00\n"
    ), ["1000.00", "-20.00"], date(2024, 1, 5)),
    "amex-us": ("utf-8", (
        "Date,Description,Card Member,Account #,Amount\n"
        "01/05/2024,BLUE BOTTLE COFFEE,J DOE,-41006,6.50\n"
        "01/09/2024,AUTOPAY PAYMENT - THANK YOU,J DOE,-41006,-250.00\n"
    ), ["-6.50", "250.00"], date(2024, 1, 5)),
    "bofa-checking-us": ("utf-8", (
        "Description,,Summary Amt.\n"
        'Beginning balance as of 01/01/2024,,"1,300.00"\n'
        'Total credits,,"3,350.00"\n'
        'Ending balance as of 01/31/2024,,"2,410.02"\n'
        "\n"
        "Date,Description,Amount,Running Bal.\n"
        '01/01/2024,Beginning balance as of 01/01/2024,,"1,300.00"\n'
        '01/27/2024,"BKOFAMERICA ATM WITHDRWL","-150.00","1,150.00"\n'
        '01/28/2024,"ZELLE FROM J DOE","1,000.00","2,150.00"\n'
    ), ["-150.00", "1000.00"], date(2024, 1, 27)),
    "bofa-card-us": ("utf-8", (
        "Posted Date,Reference Number,Payee,Address,Amount\n"
        '01/05/2024,24692164,"SQ *CAFE","SEATTLE WA",-12.40\n'
    ), ["-12.40"], date(2024, 1, 5)),
    "wellsfargo-us": ("utf-8", (
        '"01/05/2024","-45.10","*","","GROCERY STORE"\n'
        '"01/06/2024","1200.00","*","","PAYROLL"\n'
    ), ["-45.10", "1200.00"], date(2024, 1, 5)),
    "citi-us": ("utf-8", (
        "Status,Date,Description,Debit,Credit,Member Name\n"
        'Cleared,12/31/2025,"RESTAURANT DEPOT",80.68,,J DOE\n'
        'Cleared,12/28/2025,"RETURN COSTCO",,-165.35,J DOE\n'
    ), ["-80.68", "165.35"], date(2025, 12, 31)),
    "discover-us": ("utf-8", (
        "Trans. Date,Post Date,Description,Amount,Category\n"
        "01/05/2024,01/06/2024,SPOTIFY USA,10.99,Services\n"
        "01/15/2024,01/15/2024,INTERNET PAYMENT - THANK YOU,-100.00,Payments and Credits\n"
    ), ["-10.99", "100.00"], date(2024, 1, 5)),
    "barclays-uk": ("utf-8", (
        "Number,Date,Account,Amount,Subcategory,Memo\n"
        " ,05/01/2024,20-00-00 12345678,-4.20,PAYMENT,PRET A MANGER ON 04 JAN CLP\n"
    ), ["-4.20"], date(2024, 1, 5)),
    "hsbc-uk": ("utf-8", (
        "05/01/2024,TESCO STORES 1234,-23.45\n"
        '06/01/2024,SALARY ACME LTD,"1,850.00"\n'
    ), ["-23.45", "1850.00"], date(2024, 1, 5)),
    "hsbc-uk-header": ("utf-8", (
        "Date,Type,Description,Paid Out,Paid In,Balance\n"
        "05/01/2024,DD,COUNCIL TAX,150.00,,850.00\n"
    ), ["-150.00"], date(2024, 1, 5)),
    "monzo-uk": ("utf-8", (
        "Transaction ID,Date,Time,Type,Name,Emoji,Category,Amount,Currency,Local amount,"
        "Local currency,Notes and #tags,Address,Receipt,Description,Category split,Money Out,"
        "Money In\n"
        "tx_0001,04/09/2023,02:02:01,Direct Debit,Hyperoptic,,Bills,-26.50,GBP,-26.50,GBP,"
        "HYP0001,,,HYP0001,,-26.50,\n"
    ), ["-26.50"], date(2023, 9, 4)),
    "starling-uk": ("utf-8", (
        "Date,Counter Party,Reference,Type,Amount (GBP),Balance (GBP),Spending Category,Notes\n"
        "05/01/2024,Pret,PRET A MANGER,CARD PAYMENT,-3.95,96.05,EATING_OUT,\n"
    ), ["-3.95"], date(2024, 1, 5)),
    "n26-en": ("utf-8", (
        '"Date","Payee","Account number","Transaction type","Payment reference",'
        '"Amount (EUR)","Amount (Foreign Currency)","Type Foreign Currency","Exchange Rate"\n'
        '"2021-03-01","REWE","","MasterCard Payment","","-12.30","","",""\n'
    ), ["-12.30"], date(2021, 3, 1)),
    "n26-2023": ("utf-8", (
        '"Booking Date","Value Date","Partner Name","Partner Iban","Type",'
        '"Payment Reference","Account Name","Amount (EUR)","Original Amount",'
        '"Original Currency","Exchange Rate"\n'
        '"2023-05-02","2023-05-02","Lidl","","Presentment","","Main Account","-7.89","","",""\n'
    ), ["-7.89"], date(2023, 5, 2)),
    "dkb-de": ("utf-8", (
        '"Girokonto";"DE12 1203 0000 0000 0000 00"\n'
        '""\n'
        '"Kontostand vom 02.01.2024:";"1.234,56 €"\n'
        '""\n'
        '"Buchungsdatum";"Wertstellung";"Status";"Zahlungspflichtige*r";'
        '"Zahlungsempfänger*in";"Verwendungszweck";"Umsatztyp";"IBAN";"Betrag (€)";'
        '"Gläubiger-ID";"Mandatsreferenz";"Kundenreferenz"\n'
        '"02.01.24";"02.01.24";"Gebucht";"Max";"Edeka";"Einkauf";"Ausgang";"DE1";'
        '"-1.023,45";"";"";""\n'
        '"03.01.24";"";"Vorgemerkt";"Max";"Aral";"Tanken";"Ausgang";"DE2";"-60,00";"";"";""\n'
    ), ["-1023.45", "-60.00"], date(2024, 1, 2)),
    "dkb-de-legacy": ("latin-1", (
        '"Kontonummer:";"DE12120300000000000000 / Girokonto";\n'
        '\n'
        '"Buchungstag";"Wertstellung";"Buchungstext";"Auftraggeber / Begünstigter";'
        '"Verwendungszweck";"Kontonummer";"BLZ";"Betrag (EUR)";"Gläubiger-ID";'
        '"Mandatsreferenz";"Kundenreferenz";\n'
        '"05.01.2022";"05.01.2022";"Lastschrift";"Stadtwerke";"Strom";"DE1";"";"-85,00";'
        '"";"";"";\n'
    ), ["-85.00"], date(2022, 1, 5)),
    "creditagricole-fr": ("cp1252", (
        "Téléchargement du 05/01/2024;\n"
        "\n"
        "Compte de Dépôt carte n° 12345678901;\n"
        "\n"
        "Date;Libellé;Débit euros;Crédit euros;\n"
        '04/01/2024;"CARTE X1234 BOULANGERIE";4,20;;\n'
        '03/01/2024;"VIREMENT SALAIRE";;2.100,00;\n'
    ), ["-4.20", "2100.00"], date(2024, 1, 4)),
    "boursorama-fr": ("utf-8", (
        "\ufeffdateOp;dateVal;label;category;categoryParent;supplierFound;amount;comment;"
        "accountNum;accountLabel;accountbalance\n"
        '2024-01-04;2024-01-04;"CARTE 03/01/24 MONOPRIX";"Alimentation";"Vie quotidienne";'
        '"monoprix";-23,10;;00012345678;"BoursoBank";1200,50\n'
    ), ["-23.10"], date(2024, 1, 4)),
    "bnpparibas-fr": ("utf-8", (
        "Date valeur,Montant,Devise du compte,Details,CONTREPARTIE DE LA TRANSACTION,sequence\n"
        "04/01/2024,-12.50,EUR,PAIEMENT CB,CAFE DE FLORE,1\n"
    ), ["-12.50"], date(2024, 1, 4)),
    "societegenerale-fr": ("cp1252", (
        '="0123456789";Compte courant;\n'
        "\n"
        "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise\n"
        "04/01/2024;CARTE X1234 PHARMACIE;CARTE X1234 03/01 PHARMACIE;-18,90;EUR\n"
    ), ["-18.90"], date(2024, 1, 4)),
}


@pytest.mark.parametrize("profile_id", sorted(SAMPLES))
def test_builtin_profile_reads_its_layout(profile_id: str, tmp_path: Path) -> None:
    encoding, text, expected, first_date = SAMPLES[profile_id]
    path = tmp_path / f"{profile_id}.csv"
    path.write_bytes(text.encode(encoding))
    parsed = parse_file(path, path.read_bytes(), ImportOptions())
    assert parsed.profile == profile_id
    assert parsed.frame["amount"].to_list() == [Decimal(v) for v in expected]
    assert parsed.frame["date"][0] == first_date
    assert parsed.rejected == []


def test_dkb_pending_row_and_preamble_account(tmp_path: Path) -> None:
    path = tmp_path / "dkb.csv"
    path.write_text(SAMPLES["dkb-de"][1], encoding="utf-8")
    parsed = parse_file(path, path.read_bytes(), ImportOptions())
    assert parsed.frame["pending"].to_list() == [False, True]
    assert parsed.accounts[0].ref == "DE12 1203 0000 0000 0000 00"
