"""Whether a message asks something: a question mark, or the way questions begin in French and
English ("pourquoi", "est-ce que", "pensez-vous", "do you", "could you") when the "?" is missing,
as it often is in an SMS.
"""

from __future__ import annotations

import re

from questions.automod.normalise import fold

# A link is a whole word: looked for where a word starts only, which keeps a long word linear.
_URL = re.compile(r"(?<!\S)\S+://\S+|www\.\S+", re.IGNORECASE)
_QUESTION_MARK = re.compile("[?\uff1f\u00bf]")
# Clauses start after sentence punctuation or a comma ("Marc, is it too late").
_CLAUSE = re.compile('[.!;:,\u2026\n()\u00ab\u00bb"\u2014\u2013]+')

_EN_WH = r"what|why|how|when|who|whom|whose|where|which|whats|hows|wheres|whos"
_EN_AUX = (
    r"do|does|did|can|could|would|will|shall|should|is|are|was|were|have|has|had|may|might|am|"
    r"dont|doesnt|didnt|cant|couldnt|wouldnt|wont|isnt|arent|wasnt|havent|hasnt"
)
_EN_SUBJECT = (
    r"you|u|i|we|they|he|she|it|there|this|that|these|those|the|your|anyone|anybody|someone|"
    r"somebody|any|a|an|my|our|their|his|her|its|ya"
)
_CLAUSE_START = [
    # English: wh-words, except exclamations ("what a load of...").
    rf"(?:{_EN_WH})\b(?! a\b| an\b)",
    rf"(?:{_EN_AUX}) (?:{_EN_SUBJECT})\b",
    r"any (?:chance|tips?|advice|idea|ideas|news|plans?|update|recommendations?)\b",
    r"(?:tell|give) (?:us|me) (?:about|more)\b",
    # French: interrogative words and phrases at the start of a clause.
    r"(?:pourquoi|comment|quand|combien|ou|qui|lequel|laquelle)\b",
    # "Quel est...", "quelle heure avez-vous" ask; "quelle bande de..." exclaims.
    r"(?:quel|quelle|quels|quelles)\b(?=.*\b(?:est|sont|etait|serait|sera|a|ont|avez|as|"
    r"faut|peut|vous|tu|on|il|elle|ils|elles)\b)",
    r"(?:a|de|en|pour|avec|par|depuis|jusqu a) (?:quel|quelle|quels|quelles|qui|quoi|ou)\b",
    r"est ce qu",
    r"qu est ce",
    r"qu en\b",
    r"que (?:faire|penser|pensez|pensent|pense|dire|fait|font)\b",
    r"y a t il\b",
    r"(?:dites|racontez|parlez|expliquez) (?:nous|moi)\b",
    r"c (?:est )?(?:quoi|koi|qui|ki|quand|ou|comment)\b",
    # "Ma question : ...", "One question for Marc".
    r"(?:ma|une|petite|my|one|quick) (?:petite )?question\b",
]
# A greeting before the question: "Cc c koi...", "Hi Tom, how...".
_GREETING = re.compile(r"^(?:bonjour|bonsoir|salut|slt|coucou|cc|hello|hi|hey|yo|dear) ")
_ANYWHERE = [
    r"\best ce qu",
    r"\bcombien\b",
    r"\b(?:tu|vous) (?:crois|croyez|penses|pensez|trouves|trouvez) (?:que|qu)\b",
    r"\b(?:pensez|penses|dites|dis|faites|fais) quoi\b",
    r"\b(?:je voudrais|j aimerais|je veux|on aimerait|on voudrait) (?:savoir|comprendre)\b",
    r"\bje me demande\b",
    r"(?<!\bimporte )\bquoi$",
    # "il est où", "t'es où" (often written without the accent).
    r"\b(?:est|sont|es|etes|vas|va) (?:ou|quand)\b",
    # English.
    r"\b(?:i d|i would|we d|i) (?:love|like) to (?:know|hear|understand)\b",
    r"\bi (?:wonder|was wondering|am wondering)\b",
    r"\bwondering (?:if|whether|why|how|what)\b",
    r"\bquestion (?:for|to)\b",
    r"\b(?:can|could) (?:you|someone|anyone) (?:tell|explain|say)\b",
]
_START = re.compile("|".join(f"(?:{p})" for p in _CLAUSE_START))
_INSIDE = re.compile("|".join(f"(?:{p})" for p in _ANYWHERE))
_NOT_A_WORD = re.compile(r"[^\w]+")
# French inversion, read before the hyphens are gone: "pensez-vous", "sera-t-elle", "y a-t-il".
_INVERSION = re.compile(r"\b(?!rendez-vous\b)[^\W\d_]+-(?:t-)?(?:vous|tu|il|elle|on|ils|elles)\b")


def _plain(clause: str) -> str:
    return _NOT_A_WORD.sub(" ", fold(clause)).strip()


def is_question(text: str) -> bool:
    """Whether ``text`` asks something (a "?" outside links, or an interrogative form)."""
    text = _URL.sub(" ", text)
    if _QUESTION_MARK.search(text):
        return True
    for clause in _CLAUSE.split(text):
        plain = _plain(clause)
        if not plain:
            continue
        unhailed = _GREETING.sub("", plain)
        if _START.match(plain) or _START.match(unhailed) or _INSIDE.search(plain):
            return True
        if _INVERSION.search(fold(clause)):
            return True
    return False
