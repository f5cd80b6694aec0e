"""course_lib.text2image.prompts: how a prompt becomes digits to draw (one, a number, or any)."""
import pytest

from course_lib.text import EmptyPromptError, PromptError
from course_lib.text2image import MAX_DIGITS, NumberTooLongError, NumberWordsError, plan_prompt, words_to_digits


def slots(prompt):
    return [(s.digit, s.caption) for s in plan_prompt(prompt).slots]


def test_a_single_digit_prompt_is_drawn_as_written():
    for prompt in ["a thick, slanted seven", "a 7", "the digit three leaning left", "a bold 4, upright"]:
        plan = plan_prompt(prompt)
        assert plan.length == 1 and plan.names_a_digit
        assert plan.slots[0].caption == prompt, "a one-digit prompt reaches the encoder unchanged"
    assert plan_prompt("a thick, slanted seven").digits == (7,)


@pytest.mark.parametrize("prompt, digits", [
    ("the number 42", (4, 2)), ("2026", (2, 0, 2, 6)), ("forty-two", (4, 2)), ("forty two", (4, 2)),
    ("two thousand and twenty-six", (2, 0, 2, 6)), ("twenty twenty-six", (2, 0, 2, 6)),
    ("nineteen eighty-four", (1, 9, 8, 4)), ("one hundred and five", (1, 0, 5)), ("seven hundred", (7, 0, 0)),
    ("ten", (1, 0)), ("007", (0, 0, 7)), ("a 7 and a 1", (7, 1)), ("four two", (4, 2)),
])
def test_numbers_in_numerals_and_in_words(prompt, digits):
    assert plan_prompt(prompt).digits == digits


def test_a_number_shares_the_prompts_style_words_across_its_digits():
    assert slots("the number 42") == [(4, "the number 4"), (2, "the number 2")]
    assert slots("a thick 2026")[1] == (0, "a thick 0")
    # a part that names no digit describes every digit
    assert slots("the number forty-two, written in thick strokes") == [
        (4, "the number 4 written in thick strokes"), (2, "the number 2 written in thick strokes")]
    assert slots("a 7 and a 1, leaning right") == [(7, "a 7 leaning right"), (1, "a 1 leaning right")]


def test_digits_described_one_by_one_keep_their_own_words():
    assert slots("a thick 7 next to a thin 1") == [(7, "a thick 7"), (1, "a thin 1")]
    assert slots("a thick 3 followed by a thin 4 then a bold 5") == [
        (3, "a thick 3"), (4, "a thin 4"), (5, "a bold 5")]


def test_prompts_that_name_no_digit_get_one_slot_chosen_later():
    for prompt in ["a handwritten digit", "a thick digit", "the number", "something handwritten", "7th heaven"[2:]]:
        plan = plan_prompt(prompt)
        assert not plan.names_a_digit and plan.length == 1 and plan.slots[0].caption == prompt


def test_unknown_words_stay_in_the_captions_for_the_encoder_to_name():
    assert slots("the number 42 in crayon") == [(4, "the number 4 in crayon"), (2, "the number 2 in crayon")]


def test_too_many_digits_is_a_clear_error():
    plan_prompt("1" * MAX_DIGITS)  # the limit itself is fine
    with pytest.raises(NumberTooLongError, match=f"12 digits; at most {MAX_DIGITS}"):
        plan_prompt("the number 123456789012")
    with pytest.raises(NumberTooLongError):
        plan_prompt("a 1234 next to a 56789")  # counted over the whole prompt
    assert issubclass(NumberTooLongError, PromptError) and issubclass(NumberTooLongError, ValueError)


def test_number_words_that_make_no_number_are_a_clear_error():
    with pytest.raises(NumberWordsError, match="hundred"):
        plan_prompt("hundred")
    with pytest.raises(NumberWordsError):
        words_to_digits(["thousand", "thousand"])
    with pytest.raises(NumberWordsError, match="not a number"):
        words_to_digits(["forty", "blorp"])
    assert words_to_digits(["three", "hundred", "and", "five"]) == "305"


@pytest.mark.parametrize("prompt", ["", "   ", ", ;", "!!!"])
def test_prompts_without_words_are_empty_prompt_errors(prompt):
    with pytest.raises(EmptyPromptError, match="no words"):
        plan_prompt(prompt)


def test_a_prompt_must_be_a_string():
    with pytest.raises(TypeError, match="str"):
        plan_prompt(42)
