"""Builds data/agent_steps_project.jsonl: agent steps written for routed-llm (source "project").

Every instruction and every pasted tool output below was written for this project. Each step pairs
an instruction with material from a domain the shipped agent-step files do not cover (clinics,
schools, logistics, games, households, local government, restaurants, sports clubs, online shops,
charities), so the same material appears under several labels and the model must read the
instruction, not the pasted content. Run: python data/build_agent_steps.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

MATERIALS: list[tuple[str, str]] = [
    (
        "clinic",
        """appointments.list(date="2024-05-14", clinic="Riverside Family Practice") returned:
09:00  Dr. Amara Osei     Patient #4471 (M. Jansen)   follow-up, blood pressure
09:20  Dr. Amara Osei     Patient #3902 (K. Brandt)   new patient intake
09:40  Dr. Luis Ferreira  Patient #5110 (T. Nakamura) vaccination (tetanus booster)
10:00  Dr. Luis Ferreira  -- blocked: staff meeting --
10:30  Nurse P. Kowal     Patient #2288 (A. Rossi)    wound dressing change
11:00  Dr. Amara Osei     Patient #4471 (M. Jansen)   DUPLICATE? same patient booked twice
Total: 6 slots, 1 blocked, 1 possible duplicate""",
    ),
    (
        "clinic",
        """Email from the lab, received 08:12:
Subject: Delayed results - batch 22-B
Hi team, due to a centrifuge failure on Monday the lipid panels for batch 22-B (14 samples, collected
between 6 and 8 May) will be delayed until Friday 17 May. HbA1c and CBC results from the same batch are
unaffected and were released yesterday. Two samples (IDs 22B-07 and 22B-11) were haemolysed and need to
be redrawn; we have notified the patients' GPs. Apologies for the inconvenience. - Dana Whitfield, Lab Manager""",
    ),
    (
        "school",
        """gradebook_export.csv (Year 9 Maths, Term 2):
student,homework_avg,quiz_1,quiz_2,midterm,attendance_pct
Aisha Karimi,88,72,80,76,97
Ben Otieno,61,55,49,58,81
Chloé Martin,93,90,95,91,99
Dmitri Volkov,70,66,71,64,88
Eve Lindqvist,45,50,38,47,72""",
    ),
    (
        "school",
        """Message from the parents' WhatsApp group, forwarded by the class rep:
"hi all, reminder the year 5 trip to the science museum is next thursday 6 june, bus leaves 8:15 sharp
from the main gate and comes back around 3:30. kids need a packed lunch (no nuts!!) and a raincoat.
£12 contribution still missing from about 8 families, pay on parentpay by monday pls. we still need
2 more parent helpers, message mrs adeyemi if you can come. thanks!!\"""",
    ),
    (
        "logistics",
        """track_shipment(awb="784-22910355") returned:
2024-03-02 06:40  Shenzhen (SZX)   Departed origin facility
2024-03-02 23:15  Leipzig (LEJ)    Arrived at hub
2024-03-03 04:02  Leipzig (LEJ)    Customs hold - missing commercial invoice
2024-03-05 11:30  Leipzig (LEJ)    Customs cleared
2024-03-05 19:45  Rotterdam (RTM)  Out for delivery
2024-03-06 09:10  Rotterdam (RTM)  Delivery attempt failed - recipient absent
Consignee: Van Dijk Tools B.V., 3 pallets, 412 kg""",
    ),
    (
        "logistics",
        """warehouse-sync.log (night run):
02:00:01 INFO  starting inventory sync for 3 warehouses
02:00:04 INFO  WH-NORTH: 12,408 SKUs fetched
02:03:17 WARN  WH-SOUTH: API rate limited (429), retrying in 30s
02:03:48 WARN  WH-SOUTH: API rate limited (429), retrying in 60s
02:04:49 ERROR WH-SOUTH: giving up after 3 attempts
02:04:50 INFO  WH-EAST: 9,877 SKUs fetched
02:05:12 ERROR reconcile: 214 SKUs negative stock after merge (WH-SOUTH data missing)
02:05:13 INFO  sync finished with errors in 312s""",
    ),
    (
        "games",
        """Patch notes draft v1.8.2 (Skyforge Arena):
- Ranger: Piercing Shot damage 120 -> 105; cooldown unchanged
- Tank: new passive "Bulwark" reduces knockback by 30%
- Fixed a crash when 8 players joined the same lobby within 2 seconds
- Fixed the leaderboard showing last season's ranks after a reconnect
- Ranked queue now opens at 16:00 UTC instead of 18:00 UTC
- Known issue: controller vibration sometimes stays on after a match""",
    ),
    (
        "games",
        """Player reviews pulled from the store page (last 7 days):
★★★★★ "best co-op I've played this year, the boss fights are insane"
★★☆☆☆ "servers in South America are unplayable, 180 ping every night"
★★★★☆ "love the art style but the grind after level 40 is brutal"
★☆☆☆☆ "crashed 4 times in one evening since the patch, refunding"
★★★★★ "my kids and I play every weekend, the local split-screen is a gem\"""",
    ),
    (
        "household",
        """bank_statement.get(month="April") returned:
01 Apr  Rent - Oakfield Lettings        -1,150.00
03 Apr  Tesco Superstore                  -84.32
05 Apr  Salary - Brightline Ltd        +2,940.00
09 Apr  Netflix                           -15.99
12 Apr  Council Tax                      -148.00
15 Apr  Octopus Energy                   -96.40
21 Apr  Tesco Superstore                 -102.75
28 Apr  Spotify Family                    -17.99
30 Apr  Transfer to savings              -400.00""",
    ),
    (
        "household",
        """Note the landlord left on the door:
Dear tenants, the boiler service is booked for Wednesday 12th between 10am and 2pm. Please make sure
someone is home or leave a key with flat 3. The water will be off for about an hour. Also a reminder
that bikes must not be stored in the hallway, it is a fire risk and the insurer has complained.
Bins go out Tuesday nights now, not Thursday. Thanks, Gerald""",
    ),
    (
        "council",
        """Minutes extract, Harrow Vale Parish Council, 9 April:
Item 4. Playground resurfacing. Cllr Dawes reported three quotes: Safeplay £18,400 (6 weeks),
GreenGround £15,950 (10 weeks), Municipal Surfaces £17,200 (4 weeks). Cllr Ahmed noted GreenGround's
timeline would miss the summer holidays. Resolved: the clerk to seek a fixed start date from Safeplay
and Municipal Surfaces before the May meeting. Item 5. Streetlights on Mill Lane: two out since March,
county council ticket #SL-88213 still open. Action: Cllr Price to chase.""",
    ),
    (
        "council",
        """Resident complaint received via the website form:
Name: Gordon Ellery | Street: Beacon Road | Category: Noise
"For the third weekend running the bar at number 41 has had live music until 1am. I have a newborn and
we have not slept. I called the out-of-hours line on Saturday (ref 55120) but nobody came. I would like
to know what the council is actually going to do and whether their licence allows music after 11pm.\"""",
    ),
    (
        "restaurant",
        """supplier_invoice.pdf (text layer):
FRESHFIELDS PRODUCE LTD   Invoice 30917   Date 18/06/2024   Due 02/07/2024
Bill to: Olive & Ember, 22 Quay Street
Tomatoes vine 10kg   x3   £14.50   £43.50
Basil bunch          x20  £0.85    £17.00
Burrata 125g         x24  £2.10    £50.40
Lemons (box of 80)   x1   £19.00   £19.00
Subtotal £129.90  VAT (0%) £0.00  Total £129.90
Bank: 20-44-91 / 55120934""",
    ),
    (
        "restaurant",
        """Today's booking sheet (Friday):
18:00  Patel, 4 covers, window if possible
18:30  Moreau, 2 covers, anniversary, one gluten-free
19:00  Okafor, 8 covers, birthday cake brought in (cakeage £2pp)
19:15  Walk-in hold x2 tables
20:00  Schneider, 3 covers, one vegan, highchair
20:30  Lopez, 6 covers, deposit paid £60
Kitchen note: only 10 portions of the lamb special""",
    ),
    (
        "sports",
        """League table after round 14 (Sunday Veterans Division):
Pos Team                 P  W  D  L  GF GA Pts
1   Millbrook Rovers     14 10 2  2  34 15 32
2   Eastgate Athletic    14  9 3  2  29 14 30
3   Old Boys United      14  8 2  4  27 20 26
4   Harbour Town FC      13  7 3  3  22 16 24
5   St Jude's            14  5 1  8  18 27 16
Remaining: Harbour Town have a game in hand vs St Jude's""",
    ),
    (
        "sports",
        """Coach's notes after Saturday's under-12 match (lost 2-3):
Good: pressing in the first half, Maya's two goals, everyone got minutes.
Not good: we switched off at corners, both their first goals came from them. Keeper kept coming out too
early. Subs were late because half the parents arrived at kick-off.
Next week: corner drills, talk to parents about arrival 30 min before, Leo back from injury.""",
    ),
    (
        "shop",
        """orders.search(status="refund_requested") returned:
[{"order":"#A-10442","customer":"Priya Nair","item":"Ceramic pour-over set","total":42.00,"reason":"arrived cracked","days_since_delivery":2},
 {"order":"#A-10457","customer":"Tom Becker","item":"Linen apron (M)","total":28.50,"reason":"wrong size","days_since_delivery":19},
 {"order":"#A-10461","customer":"Sofia Reyes","item":"Gift card £50","total":50.00,"reason":"changed mind","days_since_delivery":1},
 {"order":"#A-10470","customer":"Jonas Berg","item":"Coffee grinder","total":89.00,"reason":"stopped working","days_since_delivery":45}]""",
    ),
    (
        "shop",
        """Customer chat transcript, ticket #8831:
Customer: hi my order never came, its been 2 weeks
Agent (bot): Sorry to hear that! Can you share your order number?
Customer: A-10398
Agent (bot): Thanks. Tracking shows "delivered" on 3 June, left in safe place.
Customer: there is no safe place, i live in a flat. nothing was left. i want a refund or a new one
Agent (bot): I'll pass this to a human colleague.""",
    ),
    (
        "charity",
        """Volunteer sign-ups for the food bank, week of 8 July:
Mon: Ruth (driver), Kwame, Elena
Tue: (nobody yet)
Wed: Ruth (driver), Sanjay, Ida, Marco
Thu: Kwame, Elena
Fri: Sanjay (driver), Ida
Sat: Marco, Ruth (driver), Kwame, Elena, Sanjay
Need: 1 driver + 2 packers every weekday, 3 packers on Saturday""",
    ),
    (
        "charity",
        """Draft thank-you letter to donors (from the fundraising volunteer):
"Dear friend, thank you so much for you're gift last year, it really made a diffrence. Because of
people like you we was able to give out 3,200 food parcels and open a second site in Northside. We
hope you will consider giving again this year as the need has grew a lot since the energy prices went
up. With warm wishes, the Hillside Food Bank team\"""",
    ),
    (
        "code",
        """pytest output from CI:
____________________ test_parse_booking_dates ____________________
    def test_parse_booking_dates():
>       assert parse_dates("12/06/2024-15/06/2024") == (date(2024, 6, 12), date(2024, 6, 15))
E       AssertionError: assert (datetime.date(2024, 12, 6), datetime.date(2024, 6, 15)) == ...
src/booking/dates.py:18: in parse_dates
    start = datetime.strptime(a, "%m/%d/%Y").date()
1 failed, 87 passed in 3.41s""",
    ),
    (
        "code",
        """def load_members(path):
    members = []
    f = open(path)
    for line in f.readlines():
        parts = line.split(",")
        if parts[2] == "active":
            members.append({"name": parts[0], "email": parts[1]})
    return members""",
    ),
]

# Instructions that work over any pasted material. {m} is where the material goes.
INSTRUCTIONS: dict[str, list[str]] = {
    "summarize": [
        "Give me the short version of this.",
        "What's the gist? Two sentences max.",
        "Summarise the above for someone who has thirty seconds.",
        "boil this down to 3 bullets",
        "What happened here, in a nutshell?",
        "I don't have time to read all that — what are the main points?",
        "Write a one-line headline for this.",
        "Can you write a short recap of this for the weekly update?",
        "so what's the takeaway here",
        "Condense this into a brief note I can forward to my manager.",
        "Résume-moi ça en deux phrases, s'il te plaît.",
        "Fasse das bitte in drei Stichpunkten zusammen.",
        "帮我概括一下上面的内容，三句话以内。",
        "Resúmelo en un par de líneas.",
        "what's going on in this, briefly?",
        "Give me a title and a one-paragraph overview of this.",
    ],
    "extraction": [
        "Pull out every date mentioned above and what it refers to, as a JSON list.",
        "List all the people's names in this and their role, as a table.",
        "Which amounts of money appear here? Just the numbers with what they're for.",
        "Get me the key fields from this as JSON: who, what, when, how much.",
        "From the text above only: what is the earliest time or date mentioned? Quote it.",
        "Find every ID or reference number in this and list them.",
        "Put the entries above into CSV with a header row.",
        "According to this, who is responsible for the next action? Answer only from the text.",
        "Is there a phone number, email or bank detail in here? Give me exactly what's written.",
        "Turn this into structured data: one JSON object per entry.",
        "Extrae los nombres y las fechas del texto anterior en formato JSON.",
        "Liste-moi toutes les personnes mentionnées ci-dessus.",
        "上の内容から日付と人名だけを抜き出して、表にしてください。",
        "just give me the numbers from this, nothing else",
    ],
    "translation": [
        "Translate the above into Spanish, keep the layout.",
        "Can you put this into French for our partner in Lyon?",
        "I need this in German, formal register.",
        "Please translate this into Japanese.",
        "Render this in Italian, natural not word-for-word.",
        "Same text in Portuguese (Brazil), please.",
        "How would this read in Polish? Keep the names and numbers as they are.",
        "Übersetze das bitte ins Englische und dann ins Türkische.",
        "Traduis ce texte en anglais.",
        "把上面这段翻译成中文。",
        "이 내용을 한국어로 번역해 주세요.",
        "Переведи это на русский, пожалуйста.",
        "Our new volunteer only reads Arabic — can you give her this in Arabic?",
    ],
    "rewrite": [
        "Rewrite this so it sounds friendlier but says the same thing.",
        "Make this more formal; I'm sending it to the director.",
        "Fix the spelling and grammar, don't change anything else.",
        "Can you tidy up the wording? It reads badly.",
        "Rephrase this in plain language for people who aren't experts.",
        "Shorten this to about half the length without losing any facts.",
        "Turn the notes above into proper full sentences.",
        "Make it less blunt, the recipient is already annoyed.",
        "Reformat this as a clean bulleted list, same content.",
        "Could you polish this up a bit before I post it?",
        "Reescribe esto con un tono más cercano.",
        "Formuliere das bitte höflicher um.",
        "Réécris ce texte de façon plus professionnelle.",
        "same content, but in a calmer tone please",
    ],
    "creative": [
        "Write a short funny poem inspired by this.",
        "Turn this into a little story for kids, 100 words.",
        "Give me five catchy slogans based on this.",
        "Write a limerick about the situation above.",
        "Make up a light-hearted social media post about this, with a joke.",
        "Imagine this as the opening scene of a mystery novel — write the first paragraph.",
        "Write a song chorus about this for our end-of-season party.",
        "Invent a fictional character who'd be behind this and describe them.",
        "Écris un petit poème humoristique là-dessus.",
        "Schreib eine kurze Geschichte dazu, mit einem überraschenden Ende.",
        "把这个写成一首打油诗。",
        "Come up with a playful name and tagline for this.",
    ],
    "reasoning": [
        "Based on these numbers, what's the best option and why? Show the working.",
        "If things carry on like this, what happens next week? Reason it through step by step.",
        "Work out the totals and tell me whether anything doesn't add up.",
        "Is there a conflict or double-booking here? Check carefully and explain.",
        "What's the most likely root cause, and how would you test that hypothesis?",
        "Given this, should we act now or wait? Weigh both sides and decide.",
        "How much time or money is involved overall? Calculate it.",
        "What's missing to meet the requirement, and what's the smallest change that fixes it?",
        "Rank the options from best to worst and justify the order.",
        "Which of these is the odd one out, logically? Explain your reasoning.",
        "¿Qué opción conviene más? Haz los cálculos.",
        "Wie viele fehlen noch, und wie verteilen wir sie am besten? Rechne es durch.",
        "Does the conclusion in this actually follow? Walk through the logic.",
    ],
    "code": [
        "Write a Python script that parses output like this into a CSV file.",
        "Give me a regex that matches every ID or reference number in the text above.",
        "Write a SQL table schema that could store entries like these.",
        "I want to automate this: write a small bash script that greps the lines with problems.",
        "Write a JavaScript function that takes text in this format and returns JSON.",
        "Write unit tests (pytest) for a parser of this format.",
        "Can you write a pandas snippet to load this and compute the totals?",
        "Convert this format into a TypeScript interface.",
        "How would I validate this data with a JSON Schema? Write the schema.",
        "Write a Go struct and a parse function for this format.",
    ],
    "chat": [
        "thanks, that's really helpful!",
        "ok cool. what do you think about all this, honestly?",
        "Ugh, what a week. Do you ever get tired of reading stuff like this?",
        "haha that's wild. anyway, how's your day going?",
        "Never mind that for now — any tips for staying focused on a Friday afternoon?",
        "Thanks! Sorry for dumping all that on you.",
        "great, got it 👍",
        "merci beaucoup, c'est parfait !",
        "Danke dir, das hilft mir sehr.",
        "好的，谢谢！",
        "is it normal to feel this stressed about something like this?",
    ],
}

CODE_TASKS = [
    ("code", "This test is failing in CI — what's wrong with parse_dates and how do I fix it?"),
    ("code", "Refactor this function: use a context manager, handle blank lines, and add type hints."),
    ("code", "Rewrite this in JavaScript, same behaviour."),
    ("code", "Translate this Python to Rust."),
    ("code", "Why would this crash on a file with a header row? Fix it."),
    ("summarize", "Explain to a non-developer in one sentence what this shows."),
    ("chat", "lol I have no idea what any of this means"),
]

STANDALONE: list[tuple[str, str]] = [
    ("chat", "hey! you there?"),
    ("chat", "good morning :) quick one — is it better to drink coffee before or after breakfast?"),
    ("chat", "what's a good board game for 4 people who don't like long rules?"),
    ("chat", "why is the sky blue?"),
    ("chat", "who wrote Pride and Prejudice?"),
    ("chat", "I'm bored. talk to me about something interesting."),
    ("chat", "¿cuál es la capital de Australia?"),
    ("chat", "Salut ! Tu vas bien ?"),
    ("chat", "ok, go ahead"),
    ("chat", "sounds good, do that"),
    ("chat", "can you recommend a podcast about history?"),
    ("chat", "what's the difference between a crocodile and an alligator?"),
    ("chat", "is 7 hours of sleep enough for an adult?"),
    ("chat", "Thank you for your patience with me today."),
    (
        "reasoning",
        "A bus takes 40 minutes and leaves every 15 minutes; walking takes 55. If I arrive at the stop just after a bus left, which is faster, and by how much?",
    ),
    (
        "reasoning",
        "We have 3 vans that each carry 12 crates and 100 crates to move; each round trip is 50 minutes. How long does it take at minimum?",
    ),
    (
        "reasoning",
        "If every member pays £8 a month and the hall costs £350 a month plus £4 per member for insurance, how many members do we need to break even?",
    ),
    (
        "reasoning",
        "Three friends split a bill: Ana paid £45, Ben £20, Cleo nothing. The bill was £90. Who owes whom and how much?",
    ),
    (
        "reasoning",
        "Is it possible to schedule 5 one-hour exams in 2 rooms between 9 and 12 if two students sit exams A, B and C? Explain.",
    ),
    (
        "reasoning",
        "My heating costs £2.10 an hour and the thermostat runs it 30% of the time in winter. Roughly what's the monthly bill, and what happens if I lower it so it runs 25%?",
    ),
    (
        "reasoning",
        "Tengo 120 € para la compra de la semana y ya gasté 47,30 €. Si cada comida cuesta 6,50 €, ¿cuántas comidas más puedo preparar?",
    ),
    ("creative", "Write a bedtime story about a hedgehog who is afraid of the dark."),
    ("creative", "Give me a toast for my sister's wedding, warm and a bit funny, under 200 words."),
    ("creative", "Come up with a name and a motto for our Sunday running club."),
    ("creative", "Write a haiku about waiting for a delivery that never comes."),
    ("creative", "Écris un poème court sur la pluie d'automne."),
    ("translation", "How do you say 'where is the nearest pharmacy?' in Greek?"),
    ("translation", "Translate 'the meeting is postponed until further notice' into Dutch and Swedish."),
    ("translation", "What does 'je ne sais quoi' mean in English, literally?"),
    ("translation", "Wie sagt man 'I'm allergic to peanuts' auf Spanisch?"),
    ("translation", "please translate: 'Bitte nicht stören, wir sind beim Training.'"),
    ("rewrite", "Make this sound more professional: 'hey, the thing you sent is broken, fix it asap'"),
    ("rewrite", "fix my grammar: 'me and him goes to the gym every days'"),
    (
        "rewrite",
        "Reword this so it's not so stiff: 'Your attendance at the aforementioned event is requested.'",
    ),
    (
        "rewrite",
        "Can you make this sentence shorter? 'Due to the fact that the weather is bad, we have made the decision to postpone the match.'",
    ),
    ("code", "How do I reverse a list in Python without modifying the original?"),
    (
        "code",
        "What's wrong with this SQL: SELECT name, COUNT(*) FROM members WHERE COUNT(*) > 2 GROUP BY name;",
    ),
    ("code", "git says 'detached HEAD' — what does that mean and how do I get back to main?"),
    ("code", "Write a cron line that runs backup.sh every weekday at 2:30am."),
    (
        "extraction",
        "From this sentence, give me the date and the place: 'The regional final will be played on 14 September at Kingsmead Park.'",
    ),
    ("extraction", "What's the order number in: 'Hi, re order A-20931, the parcel arrived damaged.'?"),
    (
        "summarize",
        "Headline for this please: 'After six months of delays the new library on Mill Street opens on Saturday with a free concert.'",
    ),
    (
        "summarize",
        "tl;dr: 'The pool will be closed from 1 to 14 August for tiling repairs; members will get two weeks added to their membership and can use the Eastside pool for free meanwhile.'",
    ),
]

EXTRA_INSTRUCTIONS: dict[str, list[str]] = {
    "extraction": [
        "Which entries above are from before the 10th? Just list them, nothing else.",
        "According to this, what's the total and when is it due? Just the two values.",
        "From the text above, who needs to do what? Owner and task only.",
        "Which lines mention a problem or an error? Quote them exactly.",
        "Only the rows that involve more than one person — return them as they are.",
        "what's the reference number in here and who is it for?",
        "Based only on the above, which items are still open? Give each with its date.",
        "Aus dem Text oben: welche Beträge und Daten kommen vor? Als Tabelle.",
    ],
    "translation": [
        "I need this in English, faithful to the original, keep the tone.",
        "English version please — it's going on our noticeboard.",
        "Localise this into Spanish for our customers in Mexico, keep numbers and names unchanged.",
        "Can you give me this in Dutch and Swedish, one after the other?",
        "Put this into simple French so the parents who don't read English can follow it.",
        "need this in ukrainian for the new families, keep the layout",
    ],
    "chat": [
        "Honestly, is it normal to feel this overwhelmed by stuff like this? Not looking for a plan, just your take.",
        "lol ok. random question — do you think anyone actually reads these?",
        "Thanks for sorting that. Do you ever get asked about things like this all day?",
    ],
    "reasoning": [
        "Is anything overbooked or double-counted here? Show the count per day and say which one is the problem.",
        "quick one: if this continues at the same rate, how many do we have by the end of the month? show the maths",
        "Which option costs less over a full year, assuming the figures above stay the same? Explain the steps.",
        "Si seguimos así, ¿cuándo nos quedamos sin existencias? Explica el razonamiento paso a paso.",
    ],
}

EXTRA_STANDALONE: list[tuple[str, str]] = [
    ("chat", "be honest: is it weird to bring homemade cake to a job interview as a thank-you?"),
    ("chat", "random q but what's your favourite season and why? don't say you don't have one lol"),
    (
        "chat",
        "Phew, the school play is finally over. Three months of rehearsals, two meltdowns, one broken prop sword, and it went great. I just wanted to tell someone. Do you ever feel relieved like that?",
    ),
    ("chat", "नमस्ते! आज मेरा क्लिनिक में पहला दिन है, थोड़ा घबराया हुआ हूँ। कोई सलाह?"),
    ("chat", "مرحبا! كيف حالك اليوم؟ عندي سؤال بسيط: هل تفضل الصباح أو المساء للعمل؟"),
    (
        "chat",
        "Secondo te ha senso imparare a suonare il pianoforte a quarant'anni? Solo curiosità, cosa ne pensi?",
    ),
    ("chat", "Скажи, а ты любишь шахматы? Я вот только начал играть с сыном."),
    ("chat", "why do we say 'break a leg' before a performance? is there a real story behind it?"),
    (
        "chat",
        "who actually invented the bicycle? my neighbour says it was the Germans and I don't believe him",
    ),
    ("chat", "can you actually see the spreadsheets I upload, or do I have to paste them every time?"),
    (
        "chat",
        "I'm not asking you to fix anything, I just want to know if you think it's rude to leave a group chat without saying anything.",
    ),
    ("chat", "tabs or spaces? my team is about to fight about it, pick a side"),
    ("chat", "你好！今天是我在仓库上班的第一天，有点紧张。你有什么建议吗？"),
    ("chat", "¿Tú qué opinas, vale la pena tener perro si vivo en un piso pequeño?"),
    ("translation", "what does 'à emporter' mean on a French menu? is that takeaway?"),
    ("translation", "my Dutch neighbour always says 'gezellig' — what does it actually mean in English?"),
    ("translation", "what does 'zu Händen von' mean on a German letter?"),
    ("translation", "Spanish for 'the appointment has been moved to Thursday'? it's for a text to a patient"),
    (
        "translation",
        "a parent wrote 'mi hijo está malo, no va hoy' on the absence form — what does that say exactly?",
    ),
    ("translation", "what does 'お疲れ様でした' mean and when do people say it?"),
    (
        "translation",
        "how would I write 'the shop is closed for inventory on Monday' in Italian for the door sign?",
    ),
    (
        "translation",
        'Localise these app strings into German, keep the placeholders:\n{\n  "cart.empty": "Your basket is empty.",\n  "cart.items": "{count} items in your basket",\n  "checkout.cta": "Go to checkout"\n}',
    ),
    (
        "translation",
        "subtitles for the club video are in Portuguese, need English ones, keep the numbering and timings:\n\n1\n00:00:01,000 --> 00:00:03,500\nBem-vindos ao nosso clube!\n\n2\n00:00:03,600 --> 00:00:06,200\nTreinamos todas as terças e quintas.",
    ),
    (
        "extraction",
        "from the booking confirmation above, what's the check-in date and the total price? just those two",
    ),
    (
        "extraction",
        "Which of these patients are booked with Dr. Osei? Just the names and times:\n09:00 Osei - Jansen\n09:20 Osei - Brandt\n09:40 Ferreira - Nakamura",
    ),
    (
        "extraction",
        "According to this notice, what time does the pool close on Sundays? 'Opening hours: Mon-Fri 6:30-21:00, Sat 8:00-18:00, Sun 8:00-14:00.'",
    ),
    (
        "extraction",
        "What's the tracking number in this message? 'Your parcel JD0148821934GB is on its way and will arrive tomorrow between 9 and 1.'",
    ),
    (
        "reasoning",
        "if 28 kids each need 2 sandwiches and a loaf makes 9 sandwiches, how many loaves do we need? quick pls",
    ),
    (
        "reasoning",
        "we have 40 volunteers and each shift needs 6; if everyone does at most 2 shifts, what's the maximum number of shifts we can cover?",
    ),
    (
        "reasoning",
        "A recipe for 4 uses 300 g of flour. How much for 14 people, and how many 1 kg bags do I buy?",
    ),
    (
        "reasoning",
        "Wenn der Bus alle 12 Minuten fährt und die Fahrt 35 Minuten dauert, wann muss ich spätestens an der Haltestelle sein, um um 9 Uhr anzukommen? Erklär die Schritte.",
    ),
]


OPENERS = ["", "", "Here's what came back:\n\n", "Pasted below.\n\n", "See this:\n\n", "FYI\n\n"]


def build(
    seed: int = 7,
    instructions_by_label: dict[str, list[str]] | None = None,
    standalone: list[tuple[str, str]] | None = None,
    prefix: str = "routed-llm-steps",
    code_tasks: bool = True,
) -> list[dict[str, str]]:
    rnd = random.Random(seed)
    instructions_by_label = INSTRUCTIONS if instructions_by_label is None else instructions_by_label
    standalone = STANDALONE if standalone is None else standalone
    rows: list[dict[str, str]] = []
    for label, instructions in instructions_by_label.items():
        for k, instruction in enumerate(instructions):
            picks = rnd.sample(MATERIALS, 3)
            for j, (_, material) in enumerate(picks):
                layout = (k + j) % 3
                if layout == 0:
                    text = f"{rnd.choice(OPENERS)}{material}\n\n{instruction}"
                elif layout == 1:
                    text = f"{instruction}\n\n{material}"
                else:
                    text = f"{material}\n\n{instruction.lower() if rnd.random() < 0.5 else instruction}"
                rows.append({"text": text, "label": label})
    if code_tasks:
        for _, code in (m for m in MATERIALS if m[0] == "code"):
            for label, instruction in CODE_TASKS:
                rows.append({"text": f"{code}\n\n{instruction}", "label": label})
    rows.extend({"text": text, "label": label} for label, text in standalone)
    out = []
    for i, row in enumerate(rows):
        out.append(
            {
                **row,
                "source": "project",
                "source_id": f"{prefix}-{i:04d}",
                "license": "permissive",
                "kind": "agent-step",
            }
        )
    return out


def write(name: str, rows: list[dict[str, str]]) -> None:
    target = Path(__file__).with_name(name)
    with target.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows to {target}")


if __name__ == "__main__":
    # agent_steps_project.jsonl trains the shipped head. agent_steps_more.jsonl (written after an
    # error analysis on agent_steps_train.jsonl) was tried and did not help yet (valid macro-F1
    # 0.919 -> 0.911, agent-step 0.773 -> 0.754), so it is kept for later rounds, not shipped.
    write("agent_steps_project.jsonl", build())
    write(
        "agent_steps_more.jsonl",
        build(
            seed=11,
            instructions_by_label=EXTRA_INSTRUCTIONS,
            standalone=EXTRA_STANDALONE,
            prefix="routed-llm-more",
            code_tasks=False,
        ),
    )
