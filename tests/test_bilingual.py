"""The English <-> Chinese term bridge: one-word glosses only, tokens as the index writes them."""

from __future__ import annotations

from rag.bilingual import TermBridge, cedict_bridge, cedict_pairs
from rag.lexical import tokenize

LINES = [
    "# CC-CEDICT comment line",
    "出生 出生 [chu1 sheng1] /to be born/",
    "創立 创立 [chuang4 li4] /to establish/to set up/to found/",
    "教育部 教育部 [jiao4 yu4 bu4] /Ministry of Education/",
    "生 生 [sheng1] /to be born/to give birth/",
    "大學 大学 [da4 xue2] /university; college (Tw)/",
    "圖 图 [tu2] /diagram/",
]


def test_only_one_word_glosses_of_words_of_two_characters_or_more_make_pairs() -> None:
    pairs = set(cedict_pairs(LINES))
    assert ("出生", "born") in pairs and ("创立", "found") in pairs and ("创立", "establish") in pairs
    assert ("大学", "university") in pairs and ("大学", tokenize("college")[0]) in pairs
    assert not any(chinese in ("教育部", "生", "图") for chinese, _ in pairs)  # a phrase; single characters
    assert not any(english == "set" for _, english in pairs)  # "to set up": "up" makes two words


def test_the_bridge_goes_both_ways() -> None:
    bridge = TermBridge(cedict_pairs(LINES))
    assert bridge.translations("born") == ("出生",)
    assert bridge.translations("创立") == ("establish", "found")
    assert bridge.translations("nothing") == ()


def test_the_packaged_lexicon_translates_the_words_of_the_question_as_tokenized() -> None:
    bridge = cedict_bridge()
    assert len(bridge) > 10_000
    assert "出生" in bridge.translations(tokenize("born")[0])
    assert "大学" in bridge.translations(tokenize("university")[0])
    assert "毕业" in bridge.translations(tokenize("graduated")[0])  # "graduated" and "graduate" share a stem
    assert tokenize("university")[0] in bridge.translations("大学")
