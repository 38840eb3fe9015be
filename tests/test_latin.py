from bot.i18n.latin import to_latin


def test_letters_map_one_to_one() -> None:
    assert to_latin("Ђорђе, чаша, шума, жаба, ћуфте") == "Đorđe, čaša, šuma, žaba, ćufte"


def test_digraphs_follow_capitalisation() -> None:
    assert to_latin("Љубав") == "Ljubav"
    assert to_latin("ЉУБАВ") == "LJUBAV"
    assert to_latin("Њива НЈ Џеп ЏЕП") == "Njiva NJ Džep DŽEP"
    assert to_latin("Џ") == "Dž"


def test_markup_and_placeholders_are_untouched() -> None:
    assert to_latin("<b>{name}</b> је ту &amp; 🙂") == "<b>{name}</b> je tu &amp; 🙂"
