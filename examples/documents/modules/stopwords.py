"""Small stop-word lists shared by word_stats (to skip them) and detect_language (to vote with them)."""

STOP_WORDS = {
    "en": set("""
        a about after all also an and any are as at be because been but by can could did do does
        for from had has have he her his how i if in into is it its just may more most my no not
        of on one only or other our out over she so some such than that the their them then there
        these they this those through to up was we were what when where which while who will with
        would you your
    """.split()),
    "fr": set("""
        a au aux avec c ce ces cette comme d dans de des du elle elles en est et était il ils je l
        la le les leur leurs lui mais me même mes moi mon n ne nous on ont ou où par pas plus pour
        qu que qui s sa sans se ses si son sont sur ta te tes toi ton tous tout très tu un une vos
        votre vous y été être
    """.split()),
    "de": set("""
        aber als am an auch auf aus bei bin bis da das dass dem den der des die dies diese doch du
        durch ein eine einem einen einer eines er es für hat hatte ich ihr im in ist ja kein mit
        nach nicht noch nun nur ob oder sehr sich sie sind so über um und uns unter vom von vor war
        waren was weil wenn wie wir wird zu zum zur
    """.split()),
}

ALL = set().union(*STOP_WORDS.values())
