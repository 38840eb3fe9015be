from bot.broadcasts.rules import latin_html, text_for
from bot.dispatcher import create_i18n
from bot.i18n.latin import is_serbian_cyrillic, latin_if_serbian, to_latin
from bot.kit.texts import button_name, esc


def test_letters_map_one_to_one() -> None:
    assert to_latin("Ђорђе, чаша, шума, жаба, ћуфте") == "Đorđe, čaša, šuma, žaba, ćufte"


def test_digraphs_follow_capitalisation() -> None:
    assert to_latin("Љубав") == "Ljubav"
    assert to_latin("ЉУБАВ") == "LJUBAV"
    assert to_latin("Њива НЈ Џеп ЏЕП") == "Njiva NJ Džep DŽEP"
    assert to_latin("Џ") == "Dž"


def test_markup_and_placeholders_are_untouched() -> None:
    assert to_latin("<b>{name}</b> је ту &amp; 🙂") == "<b>{name}</b> je tu &amp; 🙂"


def test_only_serbian_cyrillic_is_transliterated() -> None:
    assert latin_if_serbian("Радионица у петак") == "Radionica u petak"
    # Bulgarian has letters Serbian does not: shown as written, never "Zdraveйte".
    assert latin_if_serbian("Здравейте! Утре има събрание.") == "Здравейте! Утре има събрание."
    assert latin_if_serbian("Напомняне") == "Напомняне"
    assert latin_if_serbian("Hello") == "Hello"
    assert not is_serbian_cyrillic("Hello") and is_serbian_cyrillic("Ђорђе")


def test_what_people_typed_is_shown_in_the_readers_script() -> None:
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("sr_Latn"):
        assert esc("Милош & <Ана>") == "Miloš &amp; &lt;Ana&gt;"
        assert button_name("Јована") == "Jovana"
        assert esc("Йордан") == "Йордан"  # a Bulgarian name stays as written
        assert esc("Улица краља Петра 5, https://пример.рс/мапа") == (
            "Ulica kralja Petra 5, https://пример.рс/мапа"
        )
    for locale in ("sr", "bg", "en"):
        with i18n.context(), i18n.use_locale(locale):
            assert esc("Милош") == "Милош"
    assert esc("Милош") == "Милош"  # outside any reader's locale


def test_announcements_transliterate_serbian_only() -> None:
    assert latin_html("<b>Радионица</b> у петак") == "<b>Radionica</b> u petak"
    bulgarian = "<b>Здравейте!</b> Утре има работилница."
    assert latin_html(bulgarian) == bulgarian
    assert text_for({"*": bulgarian}, "sr_Latn") == bulgarian
    assert text_for({"*": "Видимо се"}, "sr_Latn") == "Vidimo se"
