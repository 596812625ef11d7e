from __future__ import annotations

import pytest

from questions.automod import analyse


def personal_reason(text: str) -> str | None:
    flags = {f.code: f.reason for f in analyse(text, max_length=500).flags}
    return flags.get("personal_data")


@pytest.mark.parametrize(
    "text",
    [
        "Appelez-moi au 06 12 34 56 78",
        "Mon numéro : 0612345678",
        "+33 6 12 34 56 78, je peux témoigner",
        "+33 (0)6 12 34 56 78",
        "Mon fixe : 01.45.67.89.10",
        "06-98-76-54-32",
        "Call me on 07911 123456",
        "Call me on 07700 900123",
        "my number is +44 7700 900456",
        "Text me at (555) 123-4567",
        "call 212-555-0187 anytime",
        "You can reach me at +1 415 555 0132",
        "zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit",
    ],
)
def test_it_flags_phone_numbers(text):
    assert personal_reason(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Contactez-moi : marie.dupont@gmail.com",
        "Email me: tom.fan82@yahoo.co.uk",
        "mon mail : julie.b (at) orange.fr",
        "write to mike[at]example[dot]org",
        "sarah dot jones at gmail dot com",
        "écrivez à pierre point martin arobase free point fr",
        "aya.fan@gmail,com",
    ],
)
def test_it_flags_email_addresses_also_when_disguised(text):
    assert personal_reason(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Depuis 1998 je n'ai raté aucune émission",
        "Le billet coûte 35 €, 1 500 € par mois ce n'est pas assez",
        "On se retrouve à 20h30 ?",
        "La question de Paul a déjà 1 234 votes",
        "Le record était de 3 456 789 auditeurs en 2021",
        "Rendez-vous le 14/07/2025",
        "The 2014-2018 period was the hottest",
        "It's £12.99 on vinyl",
        "Mon code postal est 75011",
        "Envoyez GAGNE au 71020",
        "Appelez le 3919",
        "Score final 3-1",
        "Check my mixtape at soundcloud.com/djfresh99",
        "Suivez @marc@piaille.fr sur Mastodon",
        "See you at 10 dot com",
    ],
)
def test_years_prices_times_counts_and_handles_are_not_personal_data(text):
    assert personal_reason(text) is None


def test_the_reason_masks_the_number():
    reason = personal_reason("Appelez-moi au 06 12 34 56 78")
    assert reason == 'Personal data: phone number "•• •• •• •• 78"'
    assert "12 34 56" not in reason


def test_the_reason_masks_the_address():
    reason = personal_reason("Contactez-moi : marie.dupont@gmail.com")
    assert reason == 'Personal data: e-mail address "m•••@g•••.com"'
    assert "dupont" not in reason


def test_one_flag_lists_numbers_and_addresses_together():
    reason = personal_reason("06 12 34 56 78 ou 07 11 22 33 44, sinon jo@example.org")
    assert reason == (
        'Personal data: phone numbers "•• •• •• •• 78", "•• •• •• •• 44" and '
        'e-mail address "j•••@e•••.org"'
    )
