from __future__ import annotations

import pytest

from questions.automod import analyse


def asks(text: str) -> bool:
    return analyse(text, max_length=500).is_question


@pytest.mark.parametrize(
    "text",
    [
        "Is it live?",
        "c'est QUAND la tournée ?? j'attends",
        "What inspired the lyrics",
        "Why did you move back to Paris",
        "How long did it take",
        "When will the dates be announced",
        "Who was your biggest influence",
        "Where did you record it",
        "Which song was the hardest",
        "Do you think electric cars are greener",
        "Did you ever consider quitting",
        "Can you play the acoustic version",
        "Could you tell us more about the report",
        "Would you ever collaborate with a rapper",
        "Will the documentary be available in the UK",
        "Are you nervous before a show",
        "Is it true that you started in a choir",
        "Have you ever been to Leeds",
        "Marc, is it too late to save the glaciers",
        "Hi Tom, how do you make the perfect omelette",
        "I'd love to know how you prepare your voice",
        "Pourquoi les prix ont augmenté",
        "Comment vous êtes-vous rencontrés",
        "Quand sort le prochain album",
        "Qui a écrit les paroles",
        "Où peut-on acheter le vinyle",
        "Quel est le programme ce soir",
        "Quelle chanson préférez-vous",
        "Est-ce que vous ferez un concert à Lyon",
        "Combien de temps faut-il pour écrire une chanson",
        "Vous avez vendu combien d'albums",
        "Pensez-vous que le nucléaire soit une solution",
        "Avez-vous déjà eu le trac",
        "Allez-vous reprendre la tournée",
        "Y a-t-il encore des places",
        "salut marc tu crois qu'on aura encore de la neige",
        "Je voudrais savoir si la déchetterie est ouverte le dimanche",
        "Cc c koi le nom de la chanson du début",
        "Il est ou le bus de nuit",
    ],
)
def test_it_sees_questions_with_or_without_a_question_mark(text):
    assert asks(text)


@pytest.mark.parametrize(
    "text",
    [
        "Merci pour cette émission",
        "What a load of nonsense",
        "Quelle belle chanson",
        "Je trouve que le micro grésille un peu",
        "Rendez-vous devant la salle",
        "Ta gueule Marc, tu racontes n'importe quoi",
        "Shit, I forgot my question",
        "Great answer, Marc. Totally agree.",
        "Read more at https://example.com/faq?id=3",
    ],
)
def test_statements_and_exclamations_are_not_questions(text):
    assert not asks(text)
