from __future__ import annotations

import pytest

from questions.automod import analyse


def link_reason(text: str) -> str | None:
    flags = {f.code: f.reason for f in analyse(text, max_length=500).flags}
    return flags.get("link")


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("Retrouvez mon podcast sur https://monpodcast.fr/episode-12", "monpodcast.fr"),
        ("http://casino-bonus-gratuit.com Jouez !", "casino-bonus-gratuit.com"),
        ("Gagnez 500€ ➡️ www.gain-rapide.biz", "gain-rapide.biz"),
        ("Promo sur example.com/promo ce soir", "example.com"),
        ("Free crypto!!! bit.ly/3xFree", "bit.ly"),
        ("[Cliquez ici](https://promo.example.com/offre)", "promo.example.com"),
        ("Did you see bbc.co.uk? Big story.", "bbc.co.uk"),
        ("Amazon.com a supprimé votre livre", "amazon.com"),
        ("HTTP://SPAM-SHOP.RU/SALE", "spam-shop.ru"),
        ("go to youtube dot com slash ayalune", "youtube.com"),
        ("Short link x.it/abc", "x.it"),
    ],
)
def test_it_flags_links_and_names_their_host(text, host):
    assert link_reason(text) == f'Link: "{host}"'


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour M.Dupont, vous en pensez quoi ?",
        "e.g. the Paris agreement, is it dead?",
        "Trier le plastique, le verre, etc.Merci",
        "I woke up at 6 a.m. for this show!",
        "Node.js ou Python ?",
        "Le taux est passé de 2.5% à 3.1%",
        "Loved it.So good",
        "Mr.Baker, your favourite dish?",
        "St.Etienne a gagné",
        "Available in the U.K.?",
        "Contactez-moi : marie.dupont@gmail.com",
        "Suivez @aya.bsky.social et @marc@piaille.fr",
        "C'est un point net et précis",
    ],
)
def test_abbreviations_decimals_addresses_and_handles_are_no_links(text):
    assert link_reason(text) is None


def test_several_links_make_one_flag():
    assert link_reason("www.a-b.com et https://c.fr/x") == 'Links: "a-b.com", "c.fr"'
