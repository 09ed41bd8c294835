"""Hand-written document questions: facts told in ordinary sentences and asked in plain words, written once
by a person and by no generator of this project, so no training template can have taught their shape.

tasks/heldout.py plants each sentence alone in about 2,000 tokens of held-out text (the PostgreSQL manual, the
Perl documentation) and asks its question the way the app does (set `docqa_hand_2k`). The reply is right when
it contains the answer (normalized), since a plain question may get a short sentence back. Several sentences
hold a tempting wrong answer of the same kind (another number, another place, the first clause's object).

Never used in training: nothing under stages/ or tasks/skills.py reads this file (tests/test_families.py).
"""

# (sentence planted in the document, question, answer the reply must contain)
PROBES = [
    ("Marta bought an old fishing boat last spring, and she named it the Silver Heron.",
     "What did Marta name her boat?", "Silver Heron"),
    ("When the power failed on Tuesday night, Dr. Okafor finished the operation by the light of a camping lantern.",
     "What light did Dr. Okafor use to finish the operation?", "camping lantern"),
    ("The bakery on Linden Street opens late because its owner, Priya, first walks her greyhound along the canal.",
     "What kind of dog does Priya have?", "greyhound"),
    ("My grandfather kept his war medals in a cigar box under the third stair.",
     "Where did the grandfather keep his war medals?", "cigar box"),
    ("The password for the staff wireless network is written on a sticky note by the till: bluefinch42.",
     "What is the password for the staff wireless network?", "bluefinch42"),
    ("Tomas, who never learned to swim, spent eleven years as the keeper of the lighthouse on Gull Rock.",
     "For how many years did Tomas keep the lighthouse?", "eleven"),
    ("The recipe calls for a pinch of saffron, but Aunt Leila always swaps it for turmeric.",
     "What does Aunt Leila use instead of saffron?", "turmeric"),
    ("Our train sat outside Hollowford for almost two hours because a cow had wandered onto the line.",
     "Near which town was the train held up?", "Hollowford"),
    ("The committee meeting has moved from room 204 to the old chapel behind the library.",
     "Where will the committee meet now?", "old chapel"),
    ("Even though the label said cherry, the jam Nadia brought to the picnic tasted of blackcurrant.",
     "What did Nadia's jam actually taste of?", "blackcurrant"),
    ("Kenji's first bicycle, a red three-speed that cost him nine dollars, still hangs in his garage.",
     "How much did Kenji pay for his first bicycle?", "nine dollars"),
    ("The village choir practises every Thursday in the hall above the fire station.",
     "On which day of the week does the village choir practise?", "Thursday"),
    ("Before leaving for Lisbon, Greta hid the spare key inside a hollow garden gnome.",
     "Where is Greta's spare key?", "garden gnome"),
    ("The ship's cat, a one-eyed tabby called Admiral, once caught a rat as big as a loaf of bread.",
     "What was the ship's cat called?", "Admiral"),
    ("Professor Hale's lecture on glaciers was cancelled after the projector caught fire.",
     "What caught fire before Professor Hale's lecture?", "projector"),
    ("The heaviest pumpkin at this year's fair weighed 312 kilograms and was grown by the Abernathy twins.",
     "Who grew the heaviest pumpkin at the fair?", "Abernathy twins"),
    ("Laila's phone number ends in 7719, not 7791 as the old directory claims.",
     "What are the last four digits of Laila's phone number?", "7719"),
    ("In 1987 the old mill by the river became a museum of clocks.",
     "What did the old mill by the river become?", "museum of clocks"),
    ("Hugo writes all of his novels with a green fountain pen in notebooks bound in goatskin.",
     "What colour is the pen Hugo writes with?", "green"),
    ("The expedition's cook, a quiet man named Barnaby Quill, packed forty tins of peaches.",
     "Who was the cook on the expedition?", "Barnaby Quill"),
    ("Every winter the Osei family travels north to stay with relatives in Tromso.",
     "Where does the Osei family go every winter?", "Tromso"),
    ("The stolen painting turned up months later, rolled inside a drainpipe behind the opera house.",
     "Where was the stolen painting found?", "drainpipe"),
    ("Ines mended the roof herself, with slate tiles salvaged from a demolished school.",
     "Where did the slates for Ines's roof come from?", "demolished school"),
    ("The parrot at the pet shop knows only one word, and that word is pickles.",
     "Which word does the parrot at the pet shop know?", "pickles"),
    ("Omar crossed the finish line in third place, just behind his sister.",
     "In what place did Omar finish?", "third"),
    ("The letter was signed only with the letter R, but the handwriting was that of Rosalind Ward.",
     "Whose handwriting was on the letter?", "Rosalind Ward"),
    ("The bridge over the Tamsin River stays closed for repairs until the end of March.",
     "Until when is the bridge over the Tamsin River closed?", "end of March"),
    ("In the evenings Felix teaches chess to the children at the orphanage on Mill Lane.",
     "What does Felix teach in the evenings?", "chess"),
    ("Grandma Ruth's famous soup is made with leeks, barley and a splash of cider.",
     "Which grain goes into Grandma Ruth's famous soup?", "barley"),
    ("The twins were born eight minutes apart: Ada first, then Leo.",
     "Which of the twins was born first?", "Ada"),
]
