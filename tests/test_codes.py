"""Error-code normalisation and extraction from free text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnoser.intake.codes import _text_patterns, canonical_code, codes_in_text


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("E1001", "1001"),
        ("e1001", "1001"),
        ("错误代码1001", "1001"),
        ("错误代码：1001", "1001"),  # full-width colon
        ("error code: 1001", "1001"),
        ("Error Code #1001", "1001"),
        ("ERR-1001", "1001"),
        (" 1001 ", "1001"),
        ("１００１", "1001"),  # full-width digits
        ("0x11", "0x11"),
        ("0X0D", "0x0d"),
        ("-79", "-79"),
        ("GSPERR300", "GSPERR300"),
        ("gsperr300", "GSPERR300"),
        ("00404", "00404"),
        ("09d106", "09D106"),
        ("PEPPOL-EN16931-R003", "PEPPOL-EN16931-R003"),
        ("Errno 110", "110"),
        ("   ", ""),
    ],
)
def test_canonical_code(raw, canonical):
    assert canonical_code(raw) == canonical


KNOWN = frozenset(
    {
        "1001",
        "0x11",
        "-79",
        "GSPERR300",
        "2150",
        "00404",
        "00002",
        "110",
        "6655",
        "DB_FULL",
        "FFFF",
        "BR-CO-15",
        "BR-S-08",
        "00305",
    }
)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("开票时提示错误代码1001，无法连接服务器", ["1001"]),
        ("got E1001 then 2150 duplicate irn", ["1001", "2150"]),
        ("返回码-79 要刷脸", ["-79"]),
        ("Ei : GSPERR300 down", ["GSPERR300"]),
        ("scarto 00404 fattura duplicata", ["00404"]),
        ("报0x11", ["0x11"]),
        ("error code 7777 on save", ["7777"]),  # after a marker, even an unknown code counts
        ("金额1001元开不出来", []),  # an amount, not a code
        ("1001 users affected", []),
        ("the error code is wrong", []),
        ("invoice no. 12345 missing", []),  # unknown bare number: not a code
        ("1001 1001 again 1001", ["1001"]),
        ("110 invoices stuck", []),
        ("发票号00002开不出来", []),
        ("order 6655 failed", []),
        ("报错 DB_FULL 存储满", ["DB_FULL"]),  # catalogued codes without digits count too
        ("卡返回ffff", ["FFFF"]),
        # pasted API errors: a quoted JSON key is a marker, so an uncatalogued code counts too
        ('{"ErrorCode":"9999","ErrorMessage":"Invalid token"}', ["9999"]),
        ("{'errorCode': '2150'}", ["2150"]),
        # a code with letters followed by a word that is also a unit is still a code
        ("BR-CO-15 Invoice total amount with VAT", ["BR-CO-15"]),
        ("[BR-S-08]-For each different value of VAT category rate", ["BR-S-08"]),
        ("00305 IdFiscaleIVA del cessionario non valido", ["00305"]),
        ("2150 invoices rejected", []),  # a plain number before a unit stays a quantity
    ],
)
def test_codes_in_text(text, codes):
    assert [c for c, _, _ in codes_in_text(text, KNOWN)] == codes


def test_traditional_markers_are_canonicalised():
    assert canonical_code("錯誤代碼1001") == "1001"


@pytest.mark.parametrize("code", ["2182", "2189"])
def test_irp_totals_mismatch_is_invalid_data_first_then_a_program_error(shipped, code):
    # the IRP rejects the document's content: fix the field and resubmit; a program that keeps
    # computing the totals wrong is the second explanation
    result = shipped.diagnose({"error_codes": [code], "system": "india_irp"})
    ranked = [d.fault_id for d in result.diagnoses]
    assert ranked[:2] == ["operation.invalid_invoice_data", "software.program_error"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(re.compile(r"e\d{3,5}", re.IGNORECASE), fullmatch=True),
            st.text(max_size=5),
            st.just(" "),
        ),
        min_size=1,
        max_size=6,
    ).map("".join)
)
def test_the_e_code_cue_is_in_every_e_code(text):
    # a text the cue finds nothing in is not scanned for E-codes (the fast path)
    patterns = _text_patterns()
    for m in patterns.e_code.finditer(text):
        assert patterns.e_cue.search(m.group()), m.group()
    if not patterns.e_cue.search(text):
        assert not patterns.e_code.search(text)
