from __future__ import annotations

import pytest

from questions.automod import analyse


def is_flagged(text: str) -> bool:
    return "shouting" in {f.code for f in analyse(text, max_length=500).flags}


@pytest.mark.parametrize(
    "text",
    [
        "POURQUOI VOUS NE PARLEZ JAMAIS DES AGRICULTEURS ???",
        "ANSWER THE QUESTION MARC!!!",
        "ARRÊTEZ DE COUPER LA PAROLE AUX INVITÉS",
        "VOUS ÊTES NULS",
        "OMG OMG OMG THEY'RE PLAYING IT LIVE",
    ],
)
def test_it_flags_a_message_in_capitals(text):
    assert is_flagged(text)


@pytest.mark.parametrize(
    "text",
    [
        "La SNCF et la RATP vont-elles enfin se coordonner pour les JO ?",
        "The BBC, ITV and NHS are all in the report, why not the RSPCA?",
        "MERCI AYA !!!",
        "AYA JE T'AIME ❤️ tu es la meilleure",
        "c'est QUAND la tournée ?? j'ATTENDS depuis DES MOIS",
        "LOL",
        "Regardez HTTPS://WWW.EXAMPLE.COM/PROMO ce soir",
    ],
)
def test_acronyms_short_cries_and_mixed_case_are_not_shouting(text):
    assert not is_flagged(text)


def test_the_reason_gives_the_share_of_capitals():
    flags = analyse("ANSWER THE QUESTION MARC", max_length=100).flags
    assert [f.as_dict() for f in flags] == [
        {"code": "shouting", "reason": "Shouting: 100% of its 21 letters are capitals"}
    ]
