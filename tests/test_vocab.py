import pytest

from parkgis.errors import VocabularyError
from parkgis.model.vocab import ACQUISITION, STAGE, STEP, TITLE, VOCABULARIES


@pytest.mark.parametrize(
    ("vocab", "value", "code"),
    [
        (ACQUISITION, "已征收", "acquired"),
        (ACQUISITION, "acquired", "acquired"),
        (ACQUISITION, "Acquired", "acquired"),
        (ACQUISITION, "储备", "unacquired"),
        (ACQUISITION, "净地", "leveled"),
        (ACQUISITION, "已供地", "supplied"),
        (STAGE, "已签约", "signed"),
        (STAGE, "在谈", "negotiating"),
        (STAGE, "在建", "construction"),
        (STAGE, "已投产", "operating"),
        (STEP, "勘测定界", "survey"),
        (STEP, "一书四方案", "dossier"),
        (TITLE, "已办证", "issued"),
    ],
)
def test_lookup_by_code_label_or_alias(vocab, value, code):
    assert vocab.code(value) == code


def test_unknown_value_names_value_place_and_choices():
    with pytest.raises(VocabularyError) as info:
        ACQUISITION.code("征收", where="parcels row parcel_id=P-017")
    text = str(info.value)
    assert "'征收'" in text and "parcel_id=P-017" in text and "unacquired/未征收" in text


def test_chain_order_and_labels():
    assert ACQUISITION.codes == [
        "unacquired",
        "acquiring",
        "acquired",
        "leveled",
        "listed",
        "sold",
        "supplied",
    ]
    assert STEP.codes == ["pre_notice", "survey", "compensation", "dossier", "approved"]
    assert STAGE.rank("operating") == 6 and STAGE.term("stalled").out_of_order
    assert TITLE.label("none", lang="en") == "No title"
    assert ACQUISITION.title("zh") == "征收状态"


def test_every_term_has_a_colour_and_both_labels():
    for vocab in VOCABULARIES.values():
        for term in vocab:
            assert term.colour.startswith("#") and len(term.colour) == 7
            assert term.zh and term.en


def test_bad_language():
    with pytest.raises(VocabularyError, match="language"):
        ACQUISITION.label("acquired", lang="fr")
