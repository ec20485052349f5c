"""The real base words of the full English→French grammar, as compact tables.

Nouns: ``english french gender [english-plural] [french-plural]`` (``_`` keeps the regular plural:
``+s``, or ``+es`` in English after s/sh/ch/x).  Adjectives: ``english m [f mp fp] [+]`` (``+`` when
placed before the noun; a missing form follows ``-e`` / ``-s``).  Verbs: ``english[/past] [particle]
| french | forms | objects | flags``, where ``forms`` is empty for a regular -er/-ir/-re verb or
``present×6 / participle / future-stem``; ``objects`` uses the category letters of :data:`CATEGORY_LETTERS`;
flags: ``g`` (a bare plural object is generic: ``les``), ``a`` (animal subjects), ``e`` (être auxiliary).
:mod:`multis2s_text.en_fr_full.words` turns these tables into word objects.
"""

CATEGORY_LETTERS = {"A": "animal", "O": "object", "F": "food", "T": "text", "P": "person", "R": "relative",
                    "L": "place", "N": "name"}

NOUNS = {
    "animal": """
        cat chat m|dog chien m|bird oiseau m _ oiseaux|horse cheval m _ chevaux|cow vache f|mouse souris f mice souris
        rabbit lapin m|duck canard m|goat chèvre f|elephant éléphant m|pig cochon m|hen poule f|sheep mouton m sheep
        fox renard m|wolf loup m wolves|bear ours m _ ours|lion lion m|tiger tigre m|monkey singe m|snake serpent m
        frog grenouille f|owl chouette f|donkey âne m|turtle tortue f|fish poisson m fish|bee abeille f|ant fourmi f
        spider araignée f|squirrel écureuil m|deer cerf m deer|whale baleine f|shark requin m|parrot perroquet m
        giraffe girafe f|zebra zèbre m|camel chameau m _ chameaux|goose oie f geese|swan cygne m
        butterfly papillon m butterflies|snail escargot m|lamb agneau m _ agneaux|kitten chaton m""",
    "object": """
        car voiture f|table table f|chair chaise f|bike vélo m|pen stylo m|hat chapeau m _ chapeaux|shirt chemise f
        dress robe f|bag sac m|umbrella parapluie m|phone téléphone m|computer ordinateur m|lamp lampe f|key clé f
        box boîte f|ball ballon m|flower fleur f|clock horloge f|mirror miroir m|bottle bouteille f|glass verre m
        cup tasse f|plate assiette f|knife couteau m knives couteaux|spoon cuillère f|fork fourchette f|door porte f
        window fenêtre f|bed lit m|sofa canapé m|carpet tapis m _ tapis|picture tableau m _ tableaux|watch montre f
        ring bague f|coat manteau m _ manteaux|shoe chaussure f|sock chaussette f|scarf écharpe f scarves|glove gant m
        toy jouet m|doll poupée f|boat bateau m _ bateaux|train train m|bus bus m _ bus|plane avion m|truck camion m
        guitar guitare f|piano piano m|drum tambour m|candle bougie f|basket panier m|pencil crayon m
        notebook cahier m|map carte f|ticket billet m|wallet portefeuille m|suitcase valise f|towel serviette f
        pillow oreiller m|blanket couverture f|bucket seau m _ seaux|ladder échelle f|hammer marteau m _ marteaux
        rope corde f|envelope enveloppe f|tree arbre m|vase vase m|jar pot m|brush brosse f|belt ceinture f""",
    "food": """
        apple pomme f|cake gâteau m _ gâteaux|orange orange f|egg œuf m|banana banane f|tomato tomate f tomatoes
        carrot carotte f|pear poire f|strawberry fraise f strawberries|lemon citron m|peach pêche f|cookie biscuit m
        onion oignon m|cherry cerise f cherries|grape raisin m|melon melon m|pie tarte f|sandwich sandwich m
        pizza pizza f|croissant croissant m|cucumber concombre m|plum prune f|apricot abricot m|olive olive f
        sausage saucisse f|cheese fromage m|pepper poivron m|mushroom champignon m|pancake crêpe f
        candy bonbon m candies|chocolate chocolat m|nut noix f _ noix|pineapple ananas m _ ananas|soup soupe f
        salad salade f|waffle gaufre f|radish radis m radishes radis""",
    "text": """
        book livre m|letter lettre f|newspaper journal m _ journaux|magazine magazine m|story histoire f stories
        poem poème m|novel roman m|song chanson f|message message m|report rapport m|list liste f|card carte f
        note note f|article article m|recipe recette f|speech discours m _ discours|joke blague f|word mot m
        sentence phrase f|page page f|chapter chapitre m|riddle énigme f|poster affiche f|menu menu m""",
    "person": """
        man homme m men|woman femme f women|boy garçon m|girl fille f|child enfant m children|baby bébé m babies
        student étudiant m|teacher professeur m|doctor médecin m|tourist touriste m|king roi m|queen reine f
        soldier soldat m|farmer fermier m|artist artiste m|driver chauffeur m|pilot pilote m|nurse infirmière f
        actress actrice f|actor acteur m|singer chanteur m|dancer danseuse f|baker boulanger m|waiter serveur m
        lawyer avocat m|painter peintre m|writer écrivain m|judge juge m|priest prêtre m|sailor marin m""",
    "relative": """
        friend ami m|brother frère m|sister sœur f|son fils m _ fils|daughter fille f|uncle oncle m|aunt tante f
        cousin cousin m|colleague collègue m|neighbor voisin m|mother mère f|father père m|wife femme f wives
        husband mari m|nephew neveu m _ neveux|niece nièce f|boss patron m|grandmother grand-mère f _ grands-mères
        grandfather grand-père m _ grands-pères|godmother marraine f|godfather parrain m""",
    "place": """
        market marché m|school école f|station gare f|museum musée m|park parc m|library bibliothèque f
        beach plage f|church église f|hospital hôpital m _ hôpitaux|airport aéroport m|bank banque f
        restaurant restaurant m|garden jardin m|hotel hôtel m|castle château m _ châteaux|bakery boulangerie f
        office bureau m _ bureaux|theater théâtre m|zoo zoo m|village village m|farm ferme f|harbor port m
        stadium stade m|pharmacy pharmacie f|cinema cinéma m|bridge pont m|river rivière f|mountain montagne f
        forest forêt f|island île f|factory usine f|shop magasin m|lake lac m|tower tour f""",
}

ADJECTIVES = """
    small petit +|big grand +|beautiful beau belle beaux belles + bel|new nouveau nouvelle nouveaux nouvelles + nouvel
    old vieux vieille vieux vieilles + vieil|young jeune +|good bon bonne bons bonnes +|long long longue longs longues +
    pretty joli +|bad mauvais mauvaise mauvais mauvaises +|red rouge|black noir|white blanc blanche blancs blanches
    green vert|blue bleu|yellow jaune|gray gris|brown marron marron marron marron|pink rose
    purple violet violette violets violettes|heavy lourd|light léger légère légers légères|round rond|square carré
    clean propre|dirty sale|broken cassé|empty vide|full plein|expensive cher chère chers chères
    soft doux douce doux douces|hard dur|wet mouillé|dry sec sèche secs sèches|hot chaud|cold froid|sweet sucré
    salty salé|ripe mûr|fresh frais fraîche frais fraîches|delicious délicieux délicieuse délicieux délicieuses
    famous célèbre|strange étrange|funny drôle|boring ennuyeux ennuyeuse ennuyeux ennuyeuses|interesting intéressant
    modern moderne|ancient ancien ancienne anciens anciennes|quiet calme|noisy bruyant
    happy heureux heureuse heureux heureuses|sad triste|tired fatigué|rich riche|poor pauvre|busy occupé|ready prêt
    kind gentil gentille gentils gentilles|sick malade|brave courageux courageuse courageux courageuses|shy timide
    polite poli|curious curieux curieuse curieux curieuses|clever intelligent
    lazy paresseux paresseuse paresseux paresseuses
    strong fort|weak faible|fast rapide|slow lent|wild sauvage|cute mignon mignonne mignons mignonnes|hungry affamé
    thin mince|tall grand|proud fier fière fiers fières|careful prudent|angry fâché|calm paisible|lonely seul
    """

ATTRIBUTIVE = {
    "animal": ("small big beautiful old young",
               "black white gray brown wild cute hungry fast slow strong tired sick clever"),
    "object": ("small big beautiful new old pretty",
               "red black white green blue yellow gray brown pink purple heavy light round square clean dirty broken "
               "empty full expensive modern strange wet dry"),
    "food": ("small good bad", "red green yellow fresh ripe sweet salty delicious hot cold expensive"),
    "text": ("long new old good bad", "interesting boring famous strange funny modern ancient"),
    "person": ("young old good", "happy sad tired rich poor kind brave shy polite curious clever lazy strong famous"),
    "relative": ("young old good", "happy sad tired rich kind brave shy polite curious clever"),
    "place": ("small big beautiful new old pretty", "famous modern ancient quiet noisy clean dirty"),
}
PREDICATES = {
    "animal": "big small beautiful old young black white gray wild cute hungry fast slow strong tired sick clever calm",
    "object": "big small beautiful new old expensive red black white green blue yellow heavy light clean dirty "
              "broken empty full wet dry hot cold",
    "food": "good bad fresh ripe sweet salty delicious hot cold expensive small big",
    "text": "long new old good bad interesting boring famous strange funny",
    "person": "happy sad tired rich poor busy ready kind sick brave shy polite curious clever lazy strong weak "
              "proud careful angry calm lonely famous tall",
    "place": "big small beautiful new old famous modern ancient quiet noisy clean dirty",
}

TRANSITIVE_VERBS = """
    see/saw | voir | vois vois voit voyons voyez voient/vu/verr | AOFTPRLN | a
    watch | regarder | | APRN | a
    like | aimer | | AOFTP | ga
    love | adorer | | AOFT | ga
    hate | détester | | AOFT | ga
    eat/ate | manger | mange manges mange mangeons mangez mangent/mangé/manger | F | a
    buy/bought | acheter | achète achètes achète achetons achetez achètent/acheté/achèter | AOFT |
    sell/sold | vendre | | AOFT |
    want | vouloir | veux veux veut voulons voulez veulent/voulu/voudr | AOF | a
    read/read | lire | lis lis lit lisons lisez lisent/lu/lir | T |
    write/wrote | écrire | écris écris écrit écrivons écrivez écrivent/écrit/écrir | T |
    know/knew | connaître | connais connais connaît connaissons connaissez connaissent/connu/connaîtr | PRNL |
    help | aider | | PRN |
    call | appeler | appelle appelles appelle appelons appelez appellent/appelé/appeller | PRN |
    find/found | trouver | | AOFT | a
    lose/lost | perdre | | OT |
    take/took | prendre | prends prends prend prenons prenez prennent/pris/prendr | OFT |
    bring/brought | apporter | | OFT |
    wash | laver | | AO |
    cook | cuisiner | | F |
    open | ouvrir | ouvre ouvres ouvre ouvrons ouvrez ouvrent/ouvert/ouvrir | OT |
    close | fermer | | O |
    choose/chose | choisir | | AOFT |
    finish | finir | | FT |
    draw/drew | dessiner | | AOPLN |
    paint | peindre | peins peins peint peignons peignez peignent/peint/peindr | OL |
    meet/met | rencontrer | | PRN |
    visit | visiter | | L |
    wait for | attendre | | PRN |
    look for | chercher | | AOTPRN | a
    listen to | écouter | | PRN |
    carry | porter | | OF |
    keep/kept | garder | | AOT |
    forget/forgot | oublier | | OT |
    repair | réparer | | O |
    borrow | emprunter | | OT |
    fill | remplir | | O |
    follow | suivre | suis suis suit suivons suivez suivent/suivi/suivr | APRN | a
    feed/fed | nourrir | | A |
    hear/heard | entendre | | APRN | a
    show | montrer | | AOT |
    hide/hid | cacher | | AOT |
    break/broke | casser | | O |
    touch | toucher | | AO | a
    catch/caught | attraper | | AO | a
    push | pousser | | O |
    order | commander | | F |
    taste | goûter | | F |
    prepare | préparer | | F |
    receive | recevoir | reçois reçois reçoit recevons recevez reçoivent/reçu/recevr | OT |
    send/sent | envoyer | envoie envoies envoie envoyons envoyez envoient/envoyé/enverr | OT |
    describe | décrire | décris décris décrit décrivons décrivez décrivent/décrit/décrir | AOTPRNL |
    admire | admirer | | AOPRNL |
    photograph | photographier | | AOPNL |
    steal/stole | voler | | OF |
    count | compter | | AO |
    greet | saluer | | PRN |
    thank | remercier | | PRN |
    invite | inviter | | PRN |
    kiss | embrasser | | PRN |
    """

INTRANSITIVE_VERBS = """
    go/went to | aller | vais vas va allons allez vont/allé/ir | L | ae
    come/came to | venir | viens viens vient venons venez viennent/venu/viendr | L | ae
    arrive at | arriver | | L | ae
    return to | retourner | | L | ae
    stay at | rester | | L | ae
    leave/left | partir | pars pars part partons partez partent/parti/partir | | ae
    fall/fell | tomber | | | ae
    sleep/slept at | dormir | dors dors dort dormons dormez dorment/dormi/dormir | L | a
    work at | travailler | | L |
    dance at | danser | | L |
    sing/sang at | chanter | | L | a
    run/ran | courir | cours cours court courons courez courent/couru/courr | | a
    swim/swam | nager | nage nages nage nageons nagez nagent/nagé/nager | | a
    laugh | rire | ris ris rit rions riez rient/ri/rir | |
    play at | jouer | | L | a
    study at | étudier | | L |
    cry | pleurer | | |
    walk | marcher | | | a
    travel | voyager | voyage voyages voyage voyageons voyagez voyagent/voyagé/voyager | |
    """
ADVERBS = "often souvent|always toujours|rarely rarement|sometimes parfois"
