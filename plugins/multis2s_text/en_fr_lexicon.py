"""The English/French lexicon of the :mod:`multis2s_text.en_fr_grammar` corpus.

This module says which words exist and how they inflect; the grammar module
says how they combine into sentences and how those are translated.  It holds:

* the word classes (:class:`Noun`, :class:`Adjective`, :class:`Profession`,
  :class:`Language`, :class:`Pronoun`, :class:`Verb`), each carrying the
  forms needed for agreement in both languages;
* the determiners, keyed by their English form (``"the"``, ``"a"``, ``""``
  for a bare plural, possessives such as ``"my"``) and the present tense of
  être;
* the semantic categories of nouns (animal, object, food, ...) and, for each
  category, which adjectives may qualify it, which determiners it takes as
  subject or object and which verbs take it as object;
* the word tables: pronouns, nouns, adjectives, professions, languages and
  verbs.
"""

from dataclasses import dataclass

THE = "the"
A = "a"
BARE = ""
POSSESSIVES = {
    "my": ("mon", "ma", "mes"),
    "your": ("ton", "ta", "tes"),
    "his": ("son", "sa", "ses"),
    "her": ("son", "sa", "ses"),
    "our": ("notre", "notre", "nos"),
    "their": ("leur", "leur", "leurs"),
}
ALL_DETERMINERS = (THE, A, BARE, *POSSESSIVES)

ETRE = ("suis", "es", "est", "sommes", "êtes", "sont")

ANIMAL = "animal"
OBJECT = "object"
FOOD = "food"
TEXT = "text"
PERSON = "person"
RELATIVE = "relative"
LANGUAGE = "language"


@dataclass(frozen=True)
class Noun:
    """A noun with its gender, plural forms and semantic category."""

    english: str
    french: str
    feminine: bool
    category: str
    english_plural: str = ""
    french_plural: str = ""

    def english_form(self, plural: bool) -> str:
        """Return the English singular or plural."""
        if not plural:
            return self.english
        return self.english_plural or self.english + "s"

    def french_form(self, plural: bool) -> str:
        """Return the French singular or plural."""
        if not plural:
            return self.french
        return self.french_plural or self.french + "s"


@dataclass(frozen=True)
class Adjective:
    """An adjective with its four French forms (m. sg, f. sg, m. pl, f. pl)."""

    english: str
    forms: tuple[str, str, str, str]
    before_noun: bool = False
    before_vowel: str = ""

    def french(self, feminine: bool, plural: bool) -> str:
        """Return the form agreeing with a noun of this gender and number."""
        return self.forms[2 * plural + feminine]


@dataclass(frozen=True)
class Profession:
    """A profession noun, used after être without an article."""

    english: str
    masculine: str
    feminine: str

    def french(self, feminine: bool, plural: bool) -> str:
        """Return the form agreeing with the subject."""
        form = self.feminine if feminine else self.masculine
        return form + "s" if plural else form


@dataclass(frozen=True)
class Language:
    """A language name, the object of parler."""

    english: str
    french: str


@dataclass(frozen=True)
class Pronoun:
    """A subject pronoun; person is 1, 2 or 3."""

    english: str
    french: str
    person: int
    plural: bool
    feminine: bool = False


@dataclass(frozen=True)
class Verb:
    """A transitive verb, the object categories and determiners it takes."""

    english: str
    english_third: str
    french: tuple[str, str, str, str, str, str]
    categories: tuple[str, ...]
    determiners: tuple[str, ...] = ALL_DETERMINERS
    animal_subjects: bool = False
    generic_plural: bool = False




def _regular_adjective(english: str, masculine: str, before_noun: bool = False) -> Adjective:
    """Build an adjective whose feminine adds -e and whose plurals add -s."""
    feminine = masculine if masculine.endswith("e") else masculine + "e"
    masculine_plural = masculine if masculine.endswith(("s", "x")) else masculine + "s"
    return Adjective(english, (masculine, feminine, masculine_plural, feminine + "s"), before_noun)


PRONOUNS = (
    Pronoun("i", "je", 1, False),
    Pronoun("you", "tu", 2, False),
    Pronoun("he", "il", 3, False),
    Pronoun("she", "elle", 3, False, feminine=True),
    Pronoun("we", "nous", 1, True),
    Pronoun("you all", "vous", 2, True),
    Pronoun("they", "ils", 3, True),
)

NOUNS = (
    Noun("cat", "chat", False, ANIMAL),
    Noun("dog", "chien", False, ANIMAL),
    Noun("bird", "oiseau", False, ANIMAL, french_plural="oiseaux"),
    Noun("horse", "cheval", False, ANIMAL, french_plural="chevaux"),
    Noun("cow", "vache", True, ANIMAL),
    Noun("mouse", "souris", True, ANIMAL, english_plural="mice", french_plural="souris"),
    Noun("rabbit", "lapin", False, ANIMAL),
    Noun("duck", "canard", False, ANIMAL),
    Noun("goat", "chèvre", True, ANIMAL),
    Noun("elephant", "éléphant", False, ANIMAL),
    Noun("pig", "cochon", False, ANIMAL),
    Noun("hen", "poule", True, ANIMAL),
    Noun("car", "voiture", True, OBJECT),
    Noun("house", "maison", True, OBJECT),
    Noun("table", "table", True, OBJECT),
    Noun("chair", "chaise", True, OBJECT),
    Noun("bike", "vélo", False, OBJECT),
    Noun("pen", "stylo", False, OBJECT),
    Noun("hat", "chapeau", False, OBJECT, french_plural="chapeaux"),
    Noun("shirt", "chemise", True, OBJECT),
    Noun("dress", "robe", True, OBJECT, english_plural="dresses"),
    Noun("bag", "sac", False, OBJECT),
    Noun("umbrella", "parapluie", False, OBJECT),
    Noun("phone", "téléphone", False, OBJECT),
    Noun("computer", "ordinateur", False, OBJECT),
    Noun("lamp", "lampe", True, OBJECT),
    Noun("key", "clé", True, OBJECT),
    Noun("box", "boîte", True, OBJECT, english_plural="boxes"),
    Noun("ball", "ballon", False, OBJECT),
    Noun("tree", "arbre", False, OBJECT),
    Noun("flower", "fleur", True, OBJECT),
    Noun("apple", "pomme", True, FOOD),
    Noun("cake", "gâteau", False, FOOD, french_plural="gâteaux"),
    Noun("orange", "orange", True, FOOD),
    Noun("egg", "œuf", False, FOOD),
    Noun("banana", "banane", True, FOOD),
    Noun("tomato", "tomate", True, FOOD, english_plural="tomatoes"),
    Noun("carrot", "carotte", True, FOOD),
    Noun("pear", "poire", True, FOOD),
    Noun("strawberry", "fraise", True, FOOD, english_plural="strawberries"),
    Noun("lemon", "citron", False, FOOD),
    Noun("peach", "pêche", True, FOOD, english_plural="peaches"),
    Noun("cookie", "biscuit", False, FOOD),
    Noun("book", "livre", False, TEXT),
    Noun("letter", "lettre", True, TEXT),
    Noun("newspaper", "journal", False, TEXT, french_plural="journaux"),
    Noun("magazine", "magazine", False, TEXT),
    Noun("story", "histoire", True, TEXT, english_plural="stories"),
    Noun("poem", "poème", False, TEXT),
    Noun("man", "homme", False, PERSON, english_plural="men"),
    Noun("woman", "femme", True, PERSON, english_plural="women"),
    Noun("boy", "garçon", False, PERSON),
    Noun("girl", "fille", True, PERSON),
    Noun("child", "enfant", False, PERSON, english_plural="children"),
    Noun("friend", "ami", False, RELATIVE),
    Noun("brother", "frère", False, RELATIVE),
    Noun("sister", "sœur", True, RELATIVE),
    Noun("son", "fils", False, RELATIVE, french_plural="fils"),
    Noun("daughter", "fille", True, RELATIVE),
    Noun("uncle", "oncle", False, RELATIVE),
    Noun("aunt", "tante", True, RELATIVE),
    Noun("colleague", "collègue", False, RELATIVE),
    Noun("neighbor", "voisin", False, RELATIVE),
)

_SMALL = _regular_adjective("small", "petit", before_noun=True)
_BIG = _regular_adjective("big", "grand", before_noun=True)
_TALL = _regular_adjective("tall", "grand")
_SHORT = _regular_adjective("short", "petit", before_noun=True)
_GOOD = Adjective("good", ("bon", "bonne", "bons", "bonnes"), before_noun=True)
_BEAUTIFUL = Adjective("beautiful", ("beau", "belle", "beaux", "belles"), True, "bel")
_NEW = Adjective("new", ("nouveau", "nouvelle", "nouveaux", "nouvelles"), True, "nouvel")
_OLD = Adjective("old", ("vieux", "vieille", "vieux", "vieilles"), True, "vieil")
_YOUNG = _regular_adjective("young", "jeune", before_noun=True)
_LONG = Adjective("long", ("long", "longue", "longs", "longues"), before_noun=True)
_RED = _regular_adjective("red", "rouge")
_BLACK = _regular_adjective("black", "noir")
_WHITE = Adjective("white", ("blanc", "blanche", "blancs", "blanches"))
_GREEN = _regular_adjective("green", "vert")
_BLUE = _regular_adjective("blue", "bleu")
_YELLOW = _regular_adjective("yellow", "jaune")
_GRAY = _regular_adjective("gray", "gris")
_HAPPY = Adjective("happy", ("heureux", "heureuse", "heureux", "heureuses"))
_SAD = _regular_adjective("sad", "triste")
_TIRED = _regular_adjective("tired", "fatigué")
_RICH = _regular_adjective("rich", "riche")
_BUSY = _regular_adjective("busy", "occupé")
_READY = _regular_adjective("ready", "prêt")
_KIND = Adjective("kind", ("gentil", "gentille", "gentils", "gentilles"))
_SICK = _regular_adjective("sick", "malade")
_FRESH = Adjective("fresh", ("frais", "fraîche", "frais", "fraîches"))
_EXPENSIVE = Adjective("expensive", ("cher", "chère", "chers", "chères"))
_INTERESTING = _regular_adjective("interesting", "intéressant")

ATTRIBUTIVE = {
    ANIMAL: ((_SMALL, _BIG, _BEAUTIFUL, _OLD), (_BLACK, _WHITE, _GRAY)),
    OBJECT: ((_SMALL, _BIG, _BEAUTIFUL, _NEW, _OLD), (_RED, _BLACK, _WHITE, _GREEN, _BLUE, _YELLOW, _GRAY)),
    FOOD: ((_SMALL, _GOOD), (_RED, _GREEN, _YELLOW)),
    TEXT: ((_LONG, _NEW, _OLD, _GOOD, _BEAUTIFUL), ()),
    PERSON: ((_YOUNG,), ()),
    RELATIVE: ((), ()),
}
PEOPLE_PREDICATES = (_HAPPY, _SAD, _TIRED, _TALL, _SHORT, _YOUNG, _OLD, _RICH, _BUSY, _READY, _KIND, _SICK)
THING_PREDICATES = {
    ANIMAL: (_BIG, _SMALL, _BEAUTIFUL, _OLD, _BLACK, _WHITE, _GRAY, _TIRED, _SICK, _HAPPY),
    OBJECT: (_BIG, _SMALL, _BEAUTIFUL, _NEW, _OLD, _EXPENSIVE, _RED, _BLACK, _WHITE, _GREEN, _BLUE, _YELLOW, _GRAY),
    FOOD: (_GOOD, _FRESH, _SMALL, _RED, _GREEN, _YELLOW, _EXPENSIVE),
    TEXT: (_LONG, _NEW, _OLD, _GOOD, _INTERESTING, _BEAUTIFUL),
}
OBJECT_DETERMINERS = {
    PERSON: (THE, A, BARE),
    RELATIVE: (A, BARE, *POSSESSIVES),
}
SUBJECT_DETERMINERS = {
    PERSON: (THE,),
    RELATIVE: tuple(POSSESSIVES),
}
THING_DETERMINERS = (THE, *POSSESSIVES)

PROFESSIONS = (
    Profession("student", "étudiant", "étudiante"),
    Profession("teacher", "enseignant", "enseignante"),
    Profession("nurse", "infirmier", "infirmière"),
    Profession("lawyer", "avocat", "avocate"),
    Profession("singer", "chanteur", "chanteuse"),
    Profession("cook", "cuisinier", "cuisinière"),
    Profession("baker", "boulanger", "boulangère"),
    Profession("farmer", "agriculteur", "agricultrice"),
    Profession("actor", "acteur", "actrice"),
    Profession("dancer", "danseur", "danseuse"),
    Profession("waiter", "serveur", "serveuse"),
    Profession("journalist", "journaliste", "journaliste"),
    Profession("dentist", "dentiste", "dentiste"),
    Profession("pilot", "pilote", "pilote"),
    Profession("architect", "architecte", "architecte"),
    Profession("doctor", "médecin", "médecin"),
    Profession("painter", "peintre", "peintre"),
)

LANGUAGES = (
    Language("french", "français"),
    Language("english", "anglais"),
    Language("spanish", "espagnol"),
    Language("german", "allemand"),
    Language("italian", "italien"),
    Language("chinese", "chinois"),
    Language("arabic", "arabe"),
    Language("russian", "russe"),
    Language("japanese", "japonais"),
    Language("portuguese", "portugais"),
)

_PEOPLE_OBJECTS = (PERSON, RELATIVE)
DEFINITE_OR_POSSESSIVE = (THE, *POSSESSIVES)
VERBS = (
    Verb("have", "has", ("ai", "as", "a", "avons", "avez", "ont"), (ANIMAL, OBJECT, FOOD, TEXT, RELATIVE)),
    Verb("see", "sees", ("vois", "vois", "voit", "voyons", "voyez", "voient"),
         (ANIMAL, OBJECT, TEXT, *_PEOPLE_OBJECTS), animal_subjects=True),
    Verb("like", "likes", ("aime", "aimes", "aime", "aimons", "aimez", "aiment"),
         (ANIMAL, OBJECT, FOOD, TEXT, *_PEOPLE_OBJECTS), determiners=(THE, BARE, *POSSESSIVES),
         animal_subjects=True, generic_plural=True),
    Verb("eat", "eats", ("mange", "manges", "mange", "mangeons", "mangez", "mangent"), (FOOD,),
         animal_subjects=True),
    Verb("buy", "buys", ("achète", "achètes", "achète", "achetons", "achetez", "achètent"),
         (OBJECT, FOOD, TEXT)),
    Verb("want", "wants", ("veux", "veux", "veut", "voulons", "voulez", "veulent"), (ANIMAL, OBJECT, FOOD),
         animal_subjects=True),
    Verb("read", "reads", ("lis", "lis", "lit", "lisons", "lisez", "lisent"), (TEXT,)),
    Verb("watch", "watches", ("regarde", "regardes", "regarde", "regardons", "regardez", "regardent"),
         (ANIMAL, PERSON), animal_subjects=True),
    Verb("know", "knows", ("connais", "connais", "connaît", "connaissons", "connaissez", "connaissent"),
         _PEOPLE_OBJECTS, determiners=DEFINITE_OR_POSSESSIVE),
    Verb("help", "helps", ("aide", "aides", "aide", "aidons", "aidez", "aident"), _PEOPLE_OBJECTS,
         determiners=DEFINITE_OR_POSSESSIVE),
    Verb("call", "calls", ("appelle", "appelles", "appelle", "appelons", "appelez", "appellent"), _PEOPLE_OBJECTS,
         determiners=DEFINITE_OR_POSSESSIVE),
)
SPEAK = Verb("speak", "speaks", ("parle", "parles", "parle", "parlons", "parlez", "parlent"), (LANGUAGE,))
