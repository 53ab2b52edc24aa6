//! Clean over the seeds and over hand-made cases for every rule.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chaff_clean::{Config, clean_text};
use chaff_record::{Record, RecordStage, Source, rebuild_original};

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/seeds")
}

/// A seed as ingest gives it: the file's text with CRLF as LF.
fn seed(prefix: &str) -> String {
    let dir = std::fs::read_dir(seeds_dir()).unwrap();
    let path = dir
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap();
    std::fs::read_to_string(path).unwrap().replace("\r\n", "\n")
}

fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clean_record(text: &str) -> Record {
    Config::default().apply(Record::new("doc", text, Source::default()))
}

/// The cleaned text, then every edit: rule, span, and the original it replaced.
fn render(record: &Record) -> String {
    let mut out = String::new();
    writeln!(out, "{}", record.text).unwrap();
    writeln!(out, "---- edits").unwrap();
    for edit in &record.edits {
        writeln!(
            out,
            "{:<20} [{}, {}) {:?}",
            edit.rule, edit.span.start, edit.span.end, edit.original
        )
        .unwrap();
    }
    if let Some(dropped) = &record.dropped {
        writeln!(out, "---- dropped: {}", dropped.reason).unwrap();
    }
    out
}

#[test]
fn seeds_clean_and_rebuild() {
    insta::glob!("../../../fixtures/seeds", "*.txt", |path| {
        let input = std::fs::read_to_string(path).unwrap().replace("\r\n", "\n");
        let record = clean_record(&input);
        assert_eq!(
            chaff_clean::rebuild(&record).unwrap(),
            input,
            "rebuild of {}",
            path.display()
        );
        insta::assert_snapshot!(render(&record));
    });
}

/// Boilerplate in the seeds, by kind: none of it may survive.
const SEED_BOILERPLATE: &[(&str, &str, &str)] = &[
    ("000", "donation_appeal", "A Message from The Moscow Times"),
    ("000", "donation_appeal", "Dear readers"),
    ("000", "donation_appeal", "please support us monthly"),
    ("000", "donation_appeal", "Remind me later"),
    ("002", "html_comment", "Google tag"),
    ("002", "image_credit", "IMAGE SOURCE"),
    ("002", "byline_timestamp", "March 31, 2022"),
    ("003", "social_embed", "(@HuXijin_GT)"),
    ("003", "social_embed", "t.co/"),
    ("003", "byline_timestamp", "Tyler Durden"),
    ("003", "byline_timestamp", "03/30/2022"),
    ("004", "image_credit", "via Associated Press"),
    ("004", "comment_form", "Leave a Reply"),
    (
        "004",
        "comment_form",
        "Your email address will not be published",
    ),
    ("001", "doubled_punctuation", "\"\""),
];

#[test]
fn no_boilerplate_survives_in_the_seeds() {
    for (prefix, rule, fragment) in SEED_BOILERPLATE {
        let record = clean_record(&seed(prefix));
        assert!(
            !record.text.contains(fragment),
            "seed {prefix}: {rule} left {fragment:?}"
        );
        assert!(
            record
                .edits
                .iter()
                .any(|e| e.rule == *rule && e.original.contains(fragment)),
            "seed {prefix}: no {rule} edit removed {fragment:?}"
        );
    }
}

/// Every line of every seed that is not boilerplate is still there (white space folded;
/// hard-wrapped lines are fragments of the rejoined sentences).
#[test]
fn no_article_sentence_is_lost() {
    for prefix in ["000", "001", "002", "003", "004"] {
        let input = seed(prefix);
        let cleaned = fold(&clean_record(&input).text);
        for line in input.lines() {
            let line = fold(&line.replace("\"\"", "\""));
            if line.is_empty()
                || SEED_BOILERPLATE
                    .iter()
                    .any(|(p, _, fragment)| *p == prefix && line.contains(fragment))
            {
                continue;
            }
            let boilerplate_lines = [
                "We are facing unprecedented challenges",
                "These actions are direct attempts",
                "We, the journalists of The Moscow Times",
                "Your support, no matter how small",
                "By supporting The Moscow Times",
                "It is a good thing that China-Russia ties",
                "Wed, 03/30/2022",
            ];
            if boilerplate_lines.iter().any(|b| line.starts_with(b)) {
                continue;
            }
            assert!(cleaned.contains(&line), "seed {prefix} lost {line:?}");
        }
    }
}

fn shingles(text: &str) -> HashSet<Vec<String>> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.windows(5).map(<[String]>::to_vec).collect()
}

#[test]
fn the_same_article_in_two_formats_cleans_to_nearly_the_same_text() {
    let a = shingles(&clean_record(&seed("000")).text);
    let b = shingles(&clean_record(&seed("001")).text);
    let jaccard = a.intersection(&b).count() as f64 / a.union(&b).count() as f64;
    println!("word 5-gram Jaccard of the cleaned seeds 000 and 001: {jaccard:.4}");
    assert!(jaccard >= 0.95, "Jaccard {jaccard}");
}

const ARTICLE: &str = "The city council approved the new budget on Tuesday after a debate that lasted late into the evening.\n\nThe mayor said the plan would pay for two new schools, repair several main roads and hire more nurses for the public clinics.\n\nOpposition members argued that the spending was too high and promised to review every line of it next year.";

/// A rule's case: the document, and the text that must go (catch) or stay (keep).
struct Case {
    rule: &'static str,
    document: String,
    fragment: &'static str,
    catch: bool,
}

fn tail(rule: &'static str, boilerplate: &'static str, fragment: &'static str) -> Case {
    Case {
        rule,
        document: format!("{ARTICLE}\n\n{boilerplate}"),
        fragment,
        catch: true,
    }
}

fn head(rule: &'static str, boilerplate: &'static str, fragment: &'static str) -> Case {
    Case {
        rule,
        document: format!("{boilerplate}\n\n{ARTICLE}"),
        fragment,
        catch: true,
    }
}

fn inside(rule: &'static str, text: &'static str, fragment: &'static str) -> Case {
    let (first, rest) = ARTICLE.split_once("\n\n").unwrap();
    Case {
        rule,
        document: format!("{first}\n\n{text}\n\n{rest}"),
        fragment,
        catch: true,
    }
}

fn keep(rule: &'static str, text: &'static str) -> Case {
    let (first, rest) = ARTICLE.split_once("\n\n").unwrap();
    Case {
        rule,
        document: format!("{first}\n\n{text}\n\n{rest}"),
        fragment: text,
        catch: false,
    }
}

fn cases() -> Vec<Case> {
    vec![
        head(
            "html_comment",
            "<!-- Global site tag (gtag.js) - Google Analytics -->",
            "gtag",
        ),
        head("html_comment", "!-- Google tag (gtag.js) -->", "Google tag"),
        inside(
            "html_comment",
            "<!--\nSTART: related widget\n-->",
            "related widget",
        ),
        keep(
            "html_comment",
            "The arrow --> in the old manual pointed to the exit, the inspector said.",
        ),
        keep(
            "html_comment",
            "Fans chanted outside the stadium until the police arrived.",
        ),
        head(
            "script_style",
            "<script>window.dataLayer = window.dataLayer || [];</script>",
            "dataLayer",
        ),
        head(
            "script_style",
            "<style>.ad { display: none }</style>",
            "display: none",
        ),
        head(
            "script_style",
            "<SCRIPT type=\"text/javascript\">var x = 1;</SCRIPT>",
            "var x",
        ),
        keep(
            "script_style",
            "The script of the film was rewritten three times before shooting began.",
        ),
        keep(
            "script_style",
            "Her personal style changed after she moved to the capital.",
        ),
        inside("html_tag", "<p>The vote was <b>close</b>.</p>", "<b>"),
        inside(
            "html_tag",
            "Read the <a href=\"https://example.com/report\">full report</a> online.",
            "<a href",
        ),
        inside(
            "html_tag",
            "First line<br/>Second line of the notice.",
            "<br/>",
        ),
        keep(
            "html_tag",
            "Turnout was < 40% in the north and > 60% in the south.",
        ),
        keep(
            "html_tag",
            "The score was 3<5 at half time, which surprised everyone.",
        ),
        inside(
            "html_entity",
            "Smith &amp; Sons said the deal was &quot;final&quot;.",
            "&amp;",
        ),
        inside(
            "html_entity",
            "It&#8217;s the first visit since 2019.",
            "&#8217;",
        ),
        inside(
            "html_entity",
            "Prices rose&nbsp;sharply in March.",
            "&nbsp;",
        ),
        keep(
            "html_entity",
            "AT&T and P&G reported results on the same day.",
        ),
        keep(
            "html_entity",
            "Rock & roll returned to the festival this year.",
        ),
        inside("mojibake", "Itâ€™s the ministerâ€™s first visit.", "â€™"),
        inside("mojibake", "The cafÃ© reopened on Monday.", "Ã©"),
        inside("mojibake", "He called it a â€œhistoricâ€\u{9d} day.", "â€œ"),
        // UTF-8 read as Windows-1252 twice over.
        inside(
            "mojibake",
            "The ministerÃ¢â‚¬â„¢s visit ended early.",
            "Ã¢â‚¬",
        ),
        // Windows-1252 punctuation left as C1 control characters.
        inside(
            "mojibake",
            "\u{93}We are ready,\u{94} the minister said.",
            "\u{93}",
        ),
        keep(
            "mojibake",
            "Ângela Guimarães of São Paulo met the mayor of Curaçao.",
        ),
        keep(
            "mojibake",
            "Prices in € rose by 5% while the café stayed open.",
        ),
        inside(
            "unicode_nfc",
            "The cafe\u{301} on the corner reopened.",
            "cafe\u{301}",
        ),
        inside(
            "unicode_nfc",
            "Ange\u{301}lique Kidjo sang at the opening.",
            "Ange\u{301}",
        ),
        inside(
            "unicode_nfc",
            "The town of Zu\u{308}rich voted.",
            "Zu\u{308}",
        ),
        keep("unicode_nfc", "The café on the corner reopened."),
        keep("unicode_nfc", "Zürich and Genève both voted yes."),
        inside(
            "invisible_chars",
            "The\u{200b} council met again.",
            "\u{200b}",
        ),
        inside(
            "invisible_chars",
            "A soft\u{ad}hyphen was in the feed.",
            "\u{ad}",
        ),
        inside(
            "invisible_chars",
            "Bell\u{7} characters came from the old system.",
            "\u{7}",
        ),
        keep(
            "invisible_chars",
            "Nothing invisible here, only words and spaces.",
        ),
        keep("invisible_chars", "Tabs\tare kept as white space."),
        inside(
            "doubled_punctuation",
            "Wang said that \"\"cooperation has no limits.",
            "\"\"cooperation",
        ),
        inside(
            "doubled_punctuation",
            "The list included apples,, pears and plums.",
            ",,",
        ),
        inside(
            "doubled_punctuation",
            "He called it \"historic\"\" in a statement.",
            "\"\" in",
        ),
        keep(
            "doubled_punctuation",
            "The empty string \"\" is written as two quotes in code.",
        ),
        keep("doubled_punctuation", "She said \"yes\" and left."),
        // A double quote as two apostrophes or backticks, as PDF and TeX text has it.
        inside(
            "doubled_punctuation",
            "The minister said ''the talks were useful.'' He left.",
            "''",
        ),
        inside(
            "doubled_punctuation",
            "The report called it ``a turning point'' for the city.",
            "``",
        ),
        keep(
            "doubled_punctuation",
            "In the old code an empty name was written '' and nothing else.",
        ),
        tail(
            "donation_appeal",
            "A Message from Example News:\nDear readers,\nIndependent journalism needs your support. Please consider a monthly contribution.\nThank you for standing with us.\nDonate",
            "Dear readers",
        ),
        tail(
            "donation_appeal",
            "Support our journalism\nWe rely on readers like you. Every contribution helps us stay independent.\nBecome a member",
            "rely on readers",
        ),
        tail(
            "donation_appeal",
            "If you value our reporting, please support us.\nYour contribution, however small, keeps our journalism free for everyone.\nSupport us from $1",
            "keeps our journalism",
        ),
        keep(
            "donation_appeal",
            "Dear readers of the old almanac will remember the flood of 1953.",
        ),
        keep(
            "donation_appeal",
            "A message from the president was read aloud at the start of the session.",
        ),
        tail(
            "comment_form",
            "Leave a Reply\nYour email address will not be published. Required fields are marked *\nComment\nName *\nEmail *\nPost Comment",
            "Post Comment",
        ),
        tail(
            "comment_form",
            "Leave a comment\nYou must be logged in to post a comment.",
            "logged in",
        ),
        tail(
            "comment_form",
            "Comments are closed.",
            "Comments are closed",
        ),
        // The count of comments just above the form goes with it.
        tail("comment_form", "3 comments\nLeave a comment", "3 comments"),
        // A newsletter prompt written as a sentence to the reader; a note of where the
        // article first ran.
        inside(
            "share_prompt",
            "Sign up for our daily newsletter to get the latest news delivered to your inbox.",
            "daily newsletter",
        ),
        keep(
            "share_prompt",
            "The ministry told reporters that it would never miss a story about the talks in the coming weeks.",
        ),
        tail(
            "policy_line",
            "This article was originally published on The Conversation. Read the original article.",
            "originally published",
        ),
        keep(
            "policy_line",
            "The study, originally published in Nature last year, found that the river had warmed.",
        ),
        keep(
            "policy_line",
            "The virus first appeared in Wuhan in late 2019.",
        ),
        // A video or podcast teaser under its label.
        inside(
            "related_links",
            "WATCH: Lavrov arrives in China for talks",
            "Lavrov arrives",
        ),
        inside(
            "related_links",
            "Video: Lavrov arrives in China for talks (2:31)",
            "Lavrov arrives",
        ),
        keep(
            "related_links",
            "Listen: the minister said the talks had gone well, and more would follow",
        ),
        tail(
            "policy_line",
            "This piece first appeared on Example News and is republished with permission.",
            "first appeared",
        ),
        keep(
            "comment_form",
            "The minister did not reply to a request for comment.",
        ),
        keep(
            "comment_form",
            "Leave aside the cost, the plan was popular with voters.",
        ),
        tail(
            "social_embed",
            "Breaking: the council has approved the budget. pic.twitter.com/AbC123xyz\n— Jane Reporter (@janereports) March 30, 2022",
            "@janereports",
        ),
        tail(
            "social_embed",
            "We did it! https://t.co/Xy12Ab\n— City Council (@citycouncil) 5 May 2021",
            "t.co/Xy12Ab",
        ),
        inside("social_embed", "https://t.co/z4RhJ0VNHz", "t.co/z4RhJ0VNHz"),
        keep(
            "social_embed",
            "The mayor wrote on Twitter that the budget was a victory for families.",
        ),
        keep(
            "social_embed",
            "Contact the newsroom at @citycouncil on most platforms, the spokesman said.",
        ),
        tail(
            "related_links",
            "Read more:\nCouncil delays vote on parking fees\nNew school opens in the east end",
            "Council delays vote",
        ),
        tail(
            "related_links",
            "Related Articles\nMayor announces new housing plan\nRoad repairs to start in spring",
            "Mayor announces",
        ),
        inside(
            "related_links",
            "READ MORE: Nurses strike over pay in three hospitals",
            "Nurses strike",
        ),
        tail(
            "related_links",
            "Trending Now\nFloods close two bridges\nStadium vote delayed again",
            "Floods close",
        ),
        keep(
            "related_links",
            "Read more about the plan in the council's published report, the mayor said.",
        ),
        keep(
            "related_links",
            "Related costs, such as heating, will rise by about five percent.",
        ),
        tail("button_label", "Remind me later.", "Remind me later"),
        tail("button_label", "Continue reading", "Continue reading"),
        head(
            "button_label",
            "Skip to main content",
            "Skip to main content",
        ),
        tail("button_label", "Manage preferences", "Manage preferences"),
        inside(
            "button_label",
            "Story continues below advertisement",
            "Story continues",
        ),
        // A player's label with its duration, and a reading time alone.
        head("button_label", "Listen to this article 5 min", "Listen to"),
        head("button_label", "5 min read", "min read"),
        head("button_label", "Reading time: 4 minutes", "Reading time"),
        keep(
            "button_label",
            "Read more in 5 minutes than most people read in an hour, the teacher said.",
        ),
        keep(
            "button_label",
            "Listen to this: 5 minutes of silence followed.",
        ),
        tail("button_label", "Accept all cookies", "Accept all"),
        tail("button_label", "« Previous Post", "Previous Post"),
        tail("button_label", "Next article »", "Next article"),
        tail("button_label", "Like this:\nLike Loading...", "Loading"),
        inside("button_label", "Image 1 of 5", "Image 1 of 5"),
        inside("button_label", "Enlarge this image", "Enlarge"),
        head("button_label", "Sign in | Register", "Register"),
        tail(
            "button_label",
            "Continue reading the main story",
            "main story",
        ),
        keep(
            "button_label",
            "Image 1 of 5 shows the mayor at the opening of the new library.",
        ),
        keep(
            "button_label",
            "Sign in to the register, the clerk told every visitor, or leave.",
        ),
        keep("button_label", "register()"),
        keep(
            "button_label",
            "Read more books, the librarian told the children.",
        ),
        keep(
            "button_label",
            "Close to a thousand people attended the meeting.",
        ),
        tail("share_prompt", "Share this article", "Share this article"),
        tail(
            "share_prompt",
            "Get the latest news delivered to your inbox",
            "your inbox",
        ),
        tail(
            "share_prompt",
            "Follow us on Twitter and Facebook",
            "Follow us",
        ),
        tail(
            "share_prompt",
            "Sign up for our newsletter to get the latest news",
            "Sign up for our newsletter",
        ),
        tail(
            "share_prompt",
            "Follow the author on Twitter @janedoe",
            "Follow the author",
        ),
        tail(
            "share_prompt",
            "Have a news tip? Email us at tips@example.com",
            "news tip",
        ),
        // A share bar: the networks' names alone on a line.
        tail("share_prompt", "Facebook Twitter Email", "Facebook Twitter"),
        tail(
            "share_prompt",
            "Share: WhatsApp | Telegram | Copy link",
            "WhatsApp",
        ),
        keep(
            "share_prompt",
            "Facebook, Twitter and email remain the ways most readers find the paper.",
        ),
        keep(
            "share_prompt",
            "Investors will share the cost of the new bridge with the city, officials said.",
        ),
        keep(
            "share_prompt",
            "Police asked residents to follow the instructions of rescue workers.",
        ),
        head(
            "cookie_notice",
            "We use cookies to improve your experience. By continuing you accept our use of cookies.",
            "We use cookies",
        ),
        tail(
            "cookie_notice",
            "This site uses cookies. Read our cookie policy.",
            "uses cookies",
        ),
        head(
            "cookie_notice",
            "Accept cookies to continue browsing.",
            "Accept cookies",
        ),
        keep(
            "cookie_notice",
            "The bakery sold more than a thousand cookies during the fair, the owner said.",
        ),
        keep(
            "cookie_notice",
            "Girl Scouts sold cookies outside the town hall on Saturday.",
        ),
        keep(
            "cookie_notice",
            "If nobody brings us a plate of chocolate chip cookies by Friday, we will use the oven ourselves, she said.",
        ),
        tail(
            "policy_line",
            "Privacy Policy | Terms of Use",
            "Privacy Policy",
        ),
        tail(
            "policy_line",
            "© 2024 Example News. All rights reserved.",
            "All rights reserved",
        ),
        head(
            "policy_line",
            "JavaScript must be enabled to view this page.",
            "JavaScript must be enabled",
        ),
        keep(
            "policy_line",
            "The company updated its privacy policy after regulators fined it last year, a court heard on Monday in the capital.",
        ),
        tail(
            "policy_line",
            "Privacy Statement\nDo Not Sell My Personal Information\nAccessibility Statement",
            "Privacy Statement",
        ),
        keep(
            "policy_line",
            "Its privacy notice, which regulators said broke the law, told users their messages could be read by staff.",
        ),
        tail(
            "policy_line",
            "Our Standards: The Thomson Reuters Trust Principles.",
            "Trust Principles",
        ),
        keep(
            "policy_line",
            "Developers said the new JavaScript library would speed up the council's website.",
        ),
        inside("image_credit", "IMAGE SOURCE: CGTN", "IMAGE SOURCE"),
        // A caption under its label ends in a full stop like a sentence of the article.
        inside(
            "image_credit",
            "Image caption, The mayor speaks to reporters outside city hall.",
            "Image caption",
        ),
        keep(
            "image_credit",
            "Image sources said the pictures were taken before the storm.",
        ),
        inside(
            "image_credit",
            "Photo: John Smith/Reuters",
            "Photo: John Smith",
        ),
        inside(
            "image_credit",
            "Jane Doe/Xinhua via Associated Press",
            "Jane Doe/Xinhua",
        ),
        keep(
            "image_credit",
            "The photo was taken by a passer-by and shared widely, police said.",
        ),
        // A caption that ends in its credit.
        inside(
            "image_credit",
            "Sergey Lavrov and Wang Yi in Tunxi. Photo: Xinhua",
            "Wang Yi in Tunxi",
        ),
        inside(
            "image_credit",
            "The mayor outside city hall on Tuesday. Photograph: Jane Doe/AP",
            "city hall on Tuesday",
        ),
        keep(
            "image_credit",
            "Police released one image. Image: a grey car, they said, seen near the bridge.",
        ),
        keep(
            "image_credit",
            "According to the Associated Press, the vote was close.",
        ),
        tail(
            "byline_timestamp",
            "Tyler Durden\nWed, 03/30/2022 - 20:00",
            "Tyler Durden",
        ),
        head(
            "byline_timestamp",
            "By Jane Smith and John Doe, Reuters",
            "By Jane Smith",
        ),
        head(
            "byline_timestamp",
            "Updated: March 31, 2022 at 5:30 p.m. EST",
            "Updated",
        ),
        // Wire credits and time stamps under a label.
        tail(
            "byline_timestamp",
            "Reporting by Jane Doe; Editing by John Smith",
            "Editing by",
        ),
        tail(
            "byline_timestamp",
            "(Additional reporting by Tom Lee in Beijing.)",
            "Tom Lee",
        ),
        head(
            "byline_timestamp",
            "Updated at 10:32 a.m. ET on March 30, 2022.",
            "10:32",
        ),
        head(
            "byline_timestamp",
            "Last modified on Tue 29 Mar 2022 14.02 BST",
            "14.02",
        ),
        head(
            "byline_timestamp",
            "Published: 10:02 EDT, 30 March 2022 | Updated: 11:45 EDT, 30 March 2022",
            "11:45",
        ),
        tail(
            "byline_timestamp",
            "This entry was posted on Monday, March 28th, 2022 at 10:15 am and is filed under World.",
            "This entry",
        ),
        keep(
            "byline_timestamp",
            "Published figures for 2021 and 2022 were revised last week.",
        ),
        keep(
            "byline_timestamp",
            "Reporting by the local paper found that the council had overspent.",
        ),
        keep(
            "byline_timestamp",
            "Updated figures showed that 2024 sales rose by a fifth.",
        ),
        // A byline and a time on one line, with separators.
        head(
            "byline_timestamp",
            "By Jane Doe | March 30, 2022 10:45 AM",
            "Jane Doe",
        ),
        head(
            "byline_timestamp",
            "By John Smith · Reuters · 3 hours ago",
            "John Smith",
        ),
        head("byline_timestamp", "Updated 25 mins ago", "25 mins"),
        // A byline with a labelled stamp that puts the clock first runs past twelve words.
        head(
            "byline_timestamp",
            "By Jane Smith, Reuters | Updated 3:45 PM ET, Mon March 7, 2022",
            "3:45 PM",
        ),
        head(
            "byline_timestamp",
            "By Jane Smith and John Doe, CNN | Published 10:02 AM EDT, Wed March 30, 2022",
            "10:02",
        ),
        // A stamp without a label: a clock time or a year, and a month's or a day's name.
        head("byline_timestamp", "3:45 PM ET, Mon March 7, 2022", "3:45"),
        head(
            "byline_timestamp",
            "Monday 7 March 2022, 15:45 GMT",
            "15:45",
        ),
        keep("byline_timestamp", "10 days in May"),
        // A date that ends a hard-wrapped sentence is the sentence's.
        keep(
            "byline_timestamp",
            "It expects to begin shipments during its fourth quarter to end\nMarch 31, 1988.",
        ),
        keep(
            "byline_timestamp",
            "The debentures are due on\nNovember 15, 2012",
        ),
        keep("byline_timestamp", "May 2022"),
        keep(
            "byline_timestamp",
            "By Tuesday the council had approved the budget.",
        ),
        keep(
            "byline_timestamp",
            "By 2024 | the plan says | every school will have a nurse.",
        ),
        keep(
            "byline_timestamp",
            "Three years ago the council had no plan at all for the schools.",
        ),
        keep(
            "byline_timestamp",
            "March 31, 2022 was the deadline set by the ministry for the report.",
        ),
        inside(
            "appeal_line",
            "Please support our reporting: subscribe today for just $1 a week.",
            "subscribe today",
        ),
        inside(
            "appeal_line",
            "Donate to support our independent journalism.",
            "Donate to support",
        ),
        inside(
            "appeal_line",
            "Become a member and support us for as little as $5.",
            "Become a member",
        ),
        keep(
            "appeal_line",
            "The charity asked readers of the local paper to donate blankets.",
        ),
        keep(
            "appeal_line",
            "Supporters of the plan said subscriptions to the bus pass would rise.",
        ),
        head(
            "navigation",
            "Home\nWorld\nPolitics\nBusiness\nSport",
            "Politics",
        ),
        head(
            "navigation",
            "Home | News | Sport | Weather | Contact",
            "Weather",
        ),
        // A label or two with digits in it does not make a menu the text's own list.
        head(
            "navigation",
            "Home\nWorld\nFormula 1\nPolitics\nBusiness\nSport",
            "Formula 1",
        ),
        head("navigation", "News » World » Europe » France", "Europe"),
        // A page's tags under their label.
        tail("navigation", "Tags: budget, schools, roads", "Tags:"),
        tail(
            "navigation",
            "Filed under: Politics, Local News",
            "Filed under",
        ),
        keep(
            "navigation",
            "Category: five storms were expected this season, forecasters said.",
        ),
        // The same label on three lines is a listing's field, not the page's tags.
        keep(
            "navigation",
            "Category: Drama, directed by Michael Caton-Jones in 2001\nCategory: Mystery, directed by Frank Oz in 2001\nCategory: Comedy, directed by Tom Dey in 2002",
        ),
        keep(
            "navigation",
            "Budget\n\nThe council will publish the figures next week.",
        ),
        // Plain text's own short lines: a bulleted or numbered list, a list its lead-in
        // announces, and lines that hold figures (quantities, an address, scores).
        keep(
            "navigation",
            "- New schools\n- Road repairs\n- Clinic nurses",
        ),
        keep("navigation", "1. Schools\n2. Roads\n3. Clinics"),
        keep(
            "navigation",
            "The plan pays for:\nNew schools\nRoad repairs\nClinic nurses",
        ),
        keep(
            "navigation",
            "Ingredients\n2 cups flour\n1 tsp salt\n3 large eggs",
        ),
        keep(
            "navigation",
            "City Hall\n12 Main Street\nSpringfield\nIL 62701",
        ),
        keep(
            "navigation",
            "Final scores\nLeeds 2 Hull 1\nYork 0 Bury 3\nWigan 1 Bolton 1",
        ),
        keep(
            "navigation",
            "Schools, roads and clinics get more money under the plan.",
        ),
        inside(
            "repeated_line",
            "Council approves budget after long debate\nCouncil approves budget after long debate",
            "debate\nCouncil",
        ),
        inside(
            "repeated_line",
            "Ministers meet in Tunxi for talks\nMinisters meet in Tunxi for talks",
            "talks\nMinisters",
        ),
        inside(
            "repeated_line",
            "A short headline repeated here\n\nA short headline repeated here",
            "here\n\nA short",
        ),
        keep("repeated_line", "Yes.\nYes."),
        // A repeated sentence is a quotation (a forum reply, a pull quote): text, not a label.
        keep(
            "repeated_line",
            "I think the duels are fairly lifeless most of the time.\n> I think the duels are fairly lifeless most of the time.\nI agree.",
        ),
        keep(
            "repeated_line",
            "The council met. The council met again on Friday.",
        ),
    ]
}

/// Every rule catches at least three phrasings and keeps at least two look-alike lines.
#[test]
fn every_rule_on_its_cases() {
    let config = Config::default();
    let mut failures = String::new();
    let mut counts: std::collections::BTreeMap<&str, (usize, usize)> =
        std::collections::BTreeMap::new();
    for case in cases() {
        let cleaned = clean_text(&config, &case.document);
        let fired = cleaned.edits.iter().any(|e| e.rule == case.rule);
        let entry = counts.entry(case.rule).or_default();
        if case.catch {
            entry.0 += 1;
            if cleaned.text.contains(case.fragment) || !fired {
                writeln!(
                    failures,
                    "{} should catch {:?}; left:\n{}\n",
                    case.rule, case.fragment, cleaned.text
                )
                .unwrap();
            }
        } else {
            entry.1 += 1;
            if !fold(&cleaned.text).contains(&fold(case.fragment)) {
                writeln!(
                    failures,
                    "{} should keep {:?}; left:\n{}\n",
                    case.rule, case.fragment, cleaned.text
                )
                .unwrap();
            }
        }
        // Whatever the rule did, the article around it survives.
        for paragraph in ARTICLE.split("\n\n") {
            if !cleaned.text.contains(paragraph) {
                writeln!(
                    failures,
                    "{} ate article text {paragraph:?} in:\n{}\n",
                    case.rule, cleaned.text
                )
                .unwrap();
            }
        }
    }
    for (rule, (n_catch, n_keep)) in &counts {
        if *n_catch < 3 || *n_keep < 2 {
            writeln!(
                failures,
                "{rule}: {n_catch} catch and {n_keep} keep cases; need 3 and 2"
            )
            .unwrap();
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

/// A heading listed in a table of contents that navigation removes is not a repeat: the body's
/// heading stays.
#[test]
fn a_repeat_of_a_removed_line_is_kept() {
    let text = "Contents\nCalculating the land tax\nWho pays the tax\nWhen it is due\n\nCalculating the land tax\nThe tax is worked out each year on the value of the land that you own on 31 December.";
    let cleaned = clean_text(&Config::default(), text);
    assert_eq!(
        cleaned.text,
        "Calculating the land tax\nThe tax is worked out each year on the value of the land that you own on 31 December."
    );
    let rules: Vec<&str> = cleaned.edits.iter().map(|e| &*e.rule).collect();
    assert_eq!(rules, ["navigation", "whitespace"]);
}

/// Folding the blank lines around removed lines does not rename the removals: each removed
/// line is recorded under the rule that removed it, and the folded line breaks as white space.
#[test]
fn removed_lines_keep_their_rules_when_white_space_folds_around_them() {
    let text = "The ministers met in Beijing on Monday, the ministry said in a statement.\n\nPhoto: A man walks past a screen in Beijing. REUTERS/Tingshu Wang\n\nShare this article\nFacebook\nTwitter\nEmail\n\nRead more: China says ties with Russia are rock solid\n\nThey will meet again in the summer, officials said on Monday.";
    let cleaned = clean_text(&Config::default(), text);
    assert_eq!(
        cleaned.text,
        "The ministers met in Beijing on Monday, the ministry said in a statement.\n\nThey will meet again in the summer, officials said on Monday."
    );
    let edits: Vec<(&str, &str)> = cleaned
        .edits
        .iter()
        .map(|e| (&*e.rule, &*e.original))
        .collect();
    assert_eq!(
        edits,
        [
            (
                "image_credit",
                "Photo: A man walks past a screen in Beijing. REUTERS/Tingshu Wang\n"
            ),
            ("whitespace", "\n"),
            ("share_prompt", "Share this article\n"),
            ("navigation", "Facebook\nTwitter\nEmail\n"),
            ("whitespace", "\n"),
            (
                "related_links",
                "Read more: China says ties with Russia are rock solid\n"
            ),
            ("whitespace", "\n"),
        ]
    );
}

#[test]
fn layout_repair_joins_hard_wrapped_lines() {
    let wrapped = "The committee met on Tuesday to discuss the future of the old railway station in\nthe centre of town, which has been closed for more than ten years and is now in a\npoor state of repair. Members said the building could become a museum, a market\nor a library, but that the cost of any of these plans would be high and that the\ntown would need help from the regional government to pay for the work needed.\n\nA decision is expected next month after a public consultation, the chair said, and\nresidents will be able to comment on each of the proposals online or at the town\nhall during opening hours until the end of the consultation period in the spring.";
    let cleaned = clean_text(&Config::default(), wrapped);
    assert_eq!(cleaned.text.matches('\n').count(), 2, "{}", cleaned.text);
    assert!(cleaned.text.contains("station in the centre"));
    assert!(cleaned.edits.iter().all(|e| e.rule == "hard_wrap"));

    let hyphenated = "The committee met on Tuesday to discuss the future of the old railway station in the\ncentre of town, which has been closed for more than ten years and is now in a poor\nstate of repair. Members said the building could become a museum or a market, but inter-\nnational help would be needed, and the town would have to ask the regional govern-\nment for support with the cost of the work on the roof and the walls of the station.\nThe chair said a decision is expected next month after a public consultation closes.";
    let cleaned = clean_text(&Config::default(), hyphenated);
    assert!(
        cleaned.text.contains("but international help"),
        "{}",
        cleaned.text
    );
    assert!(cleaned.edits.iter().any(|e| e.rule == "hyphenation"));

    // Short lines stay lines: a poem, an address, a list.
    let poem = "Roses are red,\nViolets are blue,\nSugar is sweet,\nAnd so are you.\n\nThe council read the poem aloud at the start of the ceremony on Friday.";
    assert_eq!(clean_text(&Config::default(), poem).text, poem);
}

#[test]
fn rules_switch_off_by_name_and_quotes_by_option() {
    let text = "<b>Bold</b> “quoted” text.";
    let config = Config {
        disabled_rules: vec!["html_tag".into()],
        ..Config::default()
    };
    assert_eq!(clean_text(&config, text).text, "<b>Bold</b> “quoted” text.");
    let config = Config {
        straight_quotes: true,
        ..Config::default()
    };
    assert_eq!(clean_text(&config, text).text, "Bold \"quoted\" text.");
    let config = Config {
        record_edits: false,
        ..Config::default()
    };
    assert!(clean_text(&config, text).edits.is_empty());
}

#[test]
fn empty_and_short_documents_are_dropped_with_a_reason() {
    let record = clean_record("<p></p>\n<!-- nothing -->\n");
    assert_eq!(record.dropped.as_ref().unwrap().reason, "empty_after_clean");
    let config = Config {
        min_words: 5,
        ..Config::default()
    };
    let record = config.apply(Record::new("d", "Too short.", Source::default()));
    assert_eq!(record.dropped.as_ref().unwrap().reason, "too_short");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 200,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// On arbitrary input clean never panics, its edit spans lie in the cleaned text, and
        /// the original rebuilds exactly.
        #[test]
        fn rebuild_inverts_clean(text in "(\\PC|[ \n\t<>!&;#\"-]|<p>|</b>|<!--|-->|&amp;|Ã©|â€™|Leave a Reply|Dear readers,|Share this|cafe\u{301}){0,60}") {
            let record = clean_record(&text);
            let n_chars = record.text.chars().count();
            for edit in &record.edits {
                prop_assert!(edit.span.start <= edit.span.end && edit.span.end <= n_chars);
            }
            prop_assert_eq!(rebuild_original(&record).unwrap(), text);
        }

        /// The same on documents made of lines (wrapped prose, boilerplate, short lines), where
        /// the layout and boilerplate passes have the most to do.
        #[test]
        fn rebuild_inverts_clean_on_lines(lines in proptest::collection::vec(
            "(The council met on Tuesday to discuss the future of the harbour and the|  jobs it supports in the towns along the coast, officials said on|inter-|national|Leave a Reply|Your email address will not be published.|Dear readers,|Please donate today to support our journalism.|Home|News|Sport|Tyler Durden|Wed, 03/30/2022 – 20:00|IMAGE SOURCE: CGTN|— Jane Doe (@jdoe) March 30, 2022|https://t.co/abc|We use cookies to improve your experience.|Read more|\"\"China|Ã© â€™|\\PC{0,30}| |)",
            0..40,
        )) {
            let text = lines.join("\n");
            let record = clean_record(&text);
            let n_chars = record.text.chars().count();
            for edit in &record.edits {
                prop_assert!(edit.span.start <= edit.span.end && edit.span.end <= n_chars);
            }
            prop_assert!(!record.text.chars().any(|c| c.is_control() && c != '\n'));
            prop_assert_eq!(rebuild_original(&record).unwrap(), text);
        }

        /// The `unicode_nfc` rule alone gives what unicode-normalization's NFC gives (clean uses
        /// icu_normalizer, which is much faster; the two must agree).
        #[test]
        fn unicode_nfc_agrees_with_unicode_normalization(text in "(\\PC|e\u{301}|a\u{30A}|\u{1100}\u{1161}|\u{0F73}|\u{212B}|\u{1E0B}\u{323}|\u{0344}){0,40}") {
            use unicode_normalization::UnicodeNormalization as _;
            let config = chaff_clean::Config {
                disabled_rules: chaff_clean::RULES
                    .iter()
                    .filter(|r| **r != "unicode_nfc")
                    .map(|r| (*r).to_owned())
                    .collect(),
                min_words: 0,
                ..chaff_clean::Config::default()
            };
            let cleaned = chaff_clean::clean_text(&config, &text);
            let expected: String = text.nfc().collect();
            prop_assert_eq!(cleaned.text, expected);
        }
    }
}

/// Wraps `text` at `width` columns the way a PDF or e-mail converter does, each line starting
/// with `lead` and ending with `trail`.
fn wrap(text: &str, width: usize, lead: &str, trail: &str) -> String {
    let mut out = String::new();
    for (p, paragraph) in text.split("\n\n").enumerate() {
        if p > 0 {
            out.push_str("\n\n");
        }
        let mut line = String::new();
        let mut lines = Vec::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
        let lines: Vec<String> = lines.iter().map(|l| format!("{lead}{l}{trail}")).collect();
        out.push_str(&lines.join("\n"));
    }
    out
}

const LONG: &str = "The regional council voted on Thursday to keep the old harbour open for fishing boats for at least another five years, after a long debate in which members weighed the cost of repairs against the jobs the harbour still supports in the small towns along the coast.\n\nOfficials said the repairs would start in the spring and that the harbour would stay open while the work went on, although some berths would be closed for a few weeks at a time so that divers could inspect the old stone walls below the waterline.";

/// Hard wraps at three widths and styles are joined; short lines of other kinds stay lines.
#[test]
fn hard_wrap_and_hyphenation_cases() {
    let config = Config::default();
    let joined = |text: &str| clean_text(&config, text);
    let expected = LONG.to_owned();
    for (width, lead, trail) in [(72, "", ""), (64, "", "  "), (80, " ", "")] {
        let text = wrap(LONG, width, lead, trail);
        let cleaned = joined(&text);
        assert_eq!(
            cleaned.text, expected,
            "width {width} lead {lead:?} trail {trail:?}"
        );
        assert!(cleaned.edits.iter().any(|e| e.rule == "hard_wrap"));
    }
    // Keep: a heading between wrapped paragraphs and a list of short items stay lines.
    let with_heading = format!(
        "{}\n\nHarbour\n\n{}",
        wrap(LONG.split("\n\n").next().unwrap_or_default(), 72, "", ""),
        wrap(LONG.split("\n\n").nth(1).unwrap_or_default(), 72, "", "")
    );
    assert!(joined(&with_heading).text.contains("\n\nHarbour\n\n"));
    let list = "The council listed the repairs:\n- the north wall\n- the slipway\n- the fish market roof\nWork starts in the spring.";
    assert_eq!(joined(list).text, list);

    // Hyphenation: a word split at a wrap is joined, at three places.
    for word in ["international", "government", "inspection"] {
        let (head, tail) = word.split_at(5);
        let text = wrap(LONG, 72, "", "").replacen(
            "the old harbour open",
            &format!("the old harbour {head}-\n{tail} open"),
            1,
        );
        let cleaned = joined(&text);
        assert!(
            cleaned.text.contains(&format!("harbour {word} open")),
            "{word}: {}",
            cleaned.text
        );
        assert!(cleaned.edits.iter().any(|e| e.rule == "hyphenation"));
    }
    // Keep: a dash that is punctuation, and a hyphen in text that is not wrapped.
    for kept in [
        "The vote was close -\nbut it passed.",
        "Scores were 3-\n2 and 4-\n1.",
    ] {
        assert_eq!(joined(kept).text, kept);
    }
}

/// A text too short (or too unevenly wrapped) for the widths to tell is still joined where a
/// break is plainly inside a sentence; lines that only look alike are left as they are.
#[test]
fn wrapped_sentences_of_a_short_text_are_joined() {
    let config = Config::default();
    let cleaned = clean_text(
        &config,
        "The minister said on Tuesday that the talks had been\nuseful and that both sides would meet again in the\nspring to discuss trade, and that a treaty was near-\nly ready.",
    );
    assert_eq!(
        cleaned.text,
        "The minister said on Tuesday that the talks had been useful and that both sides would meet again in the spring to discuss trade, and that a treaty was nearly ready."
    );
    assert!(cleaned.edits.iter().any(|e| e.rule == "hard_wrap"));
    assert!(cleaned.edits.iter().any(|e| e.rule == "hyphenation"));
    for kept in [
        // The next line starts a sentence, a name, a number or a quotation.
        "The minister said on Tuesday that the talks were useful\nThey will meet again in the spring.",
        "The minister said on Tuesday that the talks had been held with\n2,000 delegates present.",
        // A list of short items under a line that runs on.
        "We bought the following for the party on the weekend\nfresh apples from the market\nripe pears from the farm shop\nplums and figs from the garden",
        // The entries of a listing, links, and code that lost its indentation.
        "Using the RAM disk block device with Linux\nzram: Compressed RAM-based block devices",
        "The archive of the list is at http://example.org/list\nhttp://example.org/list/archive",
        "if (!lookup(key)) // might fail for free objects\ngoto begin;",
    ] {
        assert_eq!(clean_text(&config, kept).text, kept);
    }
    // An indented line starts a paragraph (its indentation goes, the break stays).
    let indented =
        "The minister said on Tuesday that the talks had been\n  useful, his deputy said.";
    assert_eq!(
        clean_text(&config, indented).text,
        "The minister said on Tuesday that the talks had been\nuseful, his deputy said."
    );
}

/// Code between Markdown fences keeps its lines and its indentation, and no rule takes its
/// short lines for a menu; a fence that never closes shelters nothing.
#[test]
fn fenced_code_is_left_as_its_author_laid_it_out() {
    let config = Config::default();
    let code = "```\npip install chaff\nchaff --version\ncd project\nmake\nmake test\n```";
    let indented = "~~~rust\nfn main() {\n    let text = read(\"a.json\");\n\tprintln!(\"{}\",   text);\n}\n~~~";
    for block in [code, indented] {
        let text = format!(
            "Installing the tool takes one command, then check the version and run the tests.\n\n{block}\n\nIf a step fails, open an issue with the output of each command."
        );
        let cleaned = clean_text(&config, &text);
        assert!(cleaned.text.contains(block), "{}", cleaned.text);
    }
    // Space at the ends of code lines still goes.
    let cleaned = clean_text(&config, "Run it:\n\n```\nmake   \n    make test\n```");
    assert_eq!(cleaned.text, "Run it:\n\n```\nmake\n    make test\n```");
    // Not closed: the menu after a stray fence is navigation as before.
    let stray = "Installing the tool takes one command, then check the version and run the tests.\n\n```\nHome\nNews\nSport\nWeather\n\nIf a step fails, open an issue with the output of each command.";
    let cleaned = clean_text(&config, stray);
    assert!(!cleaned.text.contains("Sport"), "{}", cleaned.text);
}

/// White space and quote style: three rewrites each, and text they must leave alone.
#[test]
fn whitespace_and_straight_quotes_cases() {
    let config = Config::default();
    for (input, expected) in [
        (
            "The vote  passed   on Friday.",
            "The vote passed on Friday.",
        ),
        (
            "The vote passed.   \nIt was close.",
            "The vote passed.\nIt was close.",
        ),
        (
            "The vote passed.\n\n\n\nIt was close.",
            "The vote passed.\n\nIt was close.",
        ),
    ] {
        let cleaned = clean_text(&config, input);
        assert_eq!(cleaned.text, expected);
        assert!(cleaned.edits.iter().all(|e| e.rule == "whitespace"));
    }
    for kept in [
        "The vote passed.\n\nIt was close.",
        "One line.\nThe next line.",
    ] {
        assert_eq!(clean_text(&config, kept).text, kept);
    }

    let straight = Config {
        straight_quotes: true,
        ..Config::default()
    };
    for (input, expected) in [
        ("“It passed,” she said.", "\"It passed,\" she said."),
        ("He called it ‘historic’.", "He called it 'historic'."),
        ("The council’s vote.", "The council's vote."),
    ] {
        let cleaned = clean_text(&straight, input);
        assert_eq!(cleaned.text, expected);
        assert!(cleaned.edits.iter().all(|e| e.rule == "straight_quotes"));
    }
    // Off by default: quote style is kept; and straight quotes stay straight.
    assert_eq!(
        clean_text(&config, "“It passed,” she said.").text,
        "“It passed,” she said."
    );
    assert_eq!(
        clean_text(&straight, "\"It passed,\" she said.").text,
        "\"It passed,\" she said."
    );
}

/// The byte ranges of `links` (each found once, in order) in `text`.
fn link_ranges(text: &str, links: &[&str]) -> Vec<(usize, usize)> {
    let mut from = 0;
    links
        .iter()
        .map(|link| {
            let start = from + text[from..].find(link).unwrap();
            from = start + link.len();
            (start, from)
        })
        .collect()
}

/// With the page's links known (ingest records them for HTML), navigation is a run of short
/// lines that are mostly link text: a menu goes, a table of the article's own stays, even where
/// its lines are as short as a menu's.
#[test]
fn navigation_weighs_link_text_when_links_are_known() {
    let config = Config::default();
    let menu = [
        "Home",
        "World news",
        "Politics",
        "Business and the economy",
        "Sport",
    ];
    let teasers = [
        "Ministers agree new trade terms at talks in Beijing",
        "Flooding closes roads across the north for a second day",
        "Council budget passes after a late-night vote",
    ];
    let table = "Stage one\nDistance: 183 km\nWhen: Sat, March 20\nWinner: Erik Zabel";
    let text = format!(
        "{}\n\n{ARTICLE}\n\n{table}\n\n{}",
        menu.join("\n"),
        teasers.join("\n")
    );
    let mut all_links: Vec<&str> = menu.to_vec();
    all_links.extend(teasers);
    let links = link_ranges(&text, &all_links);
    let cleaned = chaff_clean::clean_page(&config, &text, Some(&links));
    for gone in menu.iter().chain(&teasers) {
        assert!(
            !cleaned.text.contains(gone),
            "{gone:?} survived:\n{}",
            cleaned.text
        );
    }
    assert!(
        cleaned.text.contains(table),
        "the table went:\n{}",
        cleaned.text
    );
    assert!(cleaned.text.contains(ARTICLE));

    // Without link information, lines are judged by their shape: the menu's short labels go,
    // the table's lines hold figures and stay.
    let plain = clean_text(&config, &text);
    assert!(
        !plain.text.contains("Business and the economy"),
        "{}",
        plain.text
    );
    assert!(plain.text.contains(table), "{}", plain.text);

    // A page with no links at all: nothing is a menu of links.
    let cleaned = chaff_clean::clean_page(&config, &format!("{table}\n\n{ARTICLE}"), Some(&[]));
    assert!(cleaned.text.contains(table), "{}", cleaned.text);
}

/// Clean reads the `links` spans ingest writes (code points) and consumes them: its edits
/// would leave them pointing at the wrong text.
#[test]
fn the_record_stage_reads_and_drops_link_spans() {
    let text = "Accueil\nMonde\nPolitique\nÉconomie\n\nThe council approved the budget on Tuesday.";
    let mut record = Record::new("page", text, Source::default());
    let mut spans = Vec::new();
    let mut at = 0;
    for line in text.split('\n').take(4) {
        let n = line.chars().count();
        spans.push(chaff_record::Span::new(at, at + n));
        at += n + 1;
    }
    record.spans.insert("links".to_owned(), spans);
    let cleaned = Config::default().apply(record);
    assert_eq!(cleaned.text, "The council approved the budget on Tuesday.");
    assert!(!cleaned.spans.contains_key("links"));
    assert_eq!(rebuild_original(&cleaned).unwrap(), text);
}

/// A page's `<pre>` blocks (ingest's `preformatted` spans) keep their author's layout: no line
/// joined, none taken for a menu, indentation and the spacing within lines kept; the text
/// around them is cleaned as usual, and the spans are consumed like the link spans.
#[test]
fn preformatted_blocks_keep_their_layout() {
    let table =
        "  Ward        For   Against\n  North        12         3\n  South         9         7";
    let list = "North\nSouth\nEast\nWest";
    let text = format!(
        "The vote   went as follows, the council said on Tuesday.\n{table}\nThe wards were\n{list}"
    );
    let span_of = |part: &str| {
        let start = text[..text.find(part).unwrap()].chars().count();
        chaff_record::Span::new(start, start + part.chars().count())
    };
    let mut record = Record::new("page", text.as_str(), Source::default());
    record.spans.insert(
        "preformatted".to_owned(),
        vec![span_of(table), span_of(list)],
    );
    record.spans.insert("links".to_owned(), Vec::new());
    let cleaned = Config::default().apply(record);
    assert_eq!(
        cleaned.text,
        format!(
            "The vote went as follows, the council said on Tuesday.\n{table}\nThe wards were\n{list}"
        )
    );
    assert!(cleaned.spans.is_empty(), "{:?}", cleaned.spans);
    assert_eq!(rebuild_original(&cleaned).unwrap(), text);

    // Without the spans, the same lines are folded and the list is a menu.
    let plain = clean_text(&Config::default(), &text);
    assert!(!plain.text.contains(table), "{}", plain.text);
    assert!(!plain.text.contains("East"), "{}", plain.text);
}

/// A short wire story wrapped at one width is unwrapped, though its longest lines run past
/// the 90th percentile of the lengths (a tenth of a short text's lines is a large share).
#[test]
fn a_short_wrapped_story_is_unwrapped() {
    let text = "BEIJING, March 30 -- Chinese Foreign Minister Wang Yi said\non Wednesday that China and Russia were \"determined to\ndevelop\" their ties, after talks with Russian Foreign\nMinister Sergey Lavrov in the eastern city of Tunxi.\n\nThe ministers agreed on three points:\n1. Closer coordination at the United Nations.\n2. More trade in local currencies.\n3. Joint work on Afghanistan.\n\n\"We will continue to work together,\" Wang said. The\nstatement did not mention Ukraine directly, but said both\nsides opposed sanctions.\n\nLavrov is due to travel on to India later this week, where\nhe will meet Prime Minister Narendra Modi.";
    let cleaned = clean_text(&Config::default(), text);
    assert_eq!(
        cleaned.text,
        "BEIJING, March 30 -- Chinese Foreign Minister Wang Yi said on Wednesday that China and Russia were \"determined to develop\" their ties, after talks with Russian Foreign Minister Sergey Lavrov in the eastern city of Tunxi.\n\nThe ministers agreed on three points:\n1. Closer coordination at the United Nations.\n2. More trade in local currencies.\n3. Joint work on Afghanistan.\n\n\"We will continue to work together,\" Wang said. The statement did not mention Ukraine directly, but said both sides opposed sanctions.\n\nLavrov is due to travel on to India later this week, where he will meet Prime Minister Narendra Modi."
    );
    // The same lines as a web page's text (link information known) are the page's blocks.
    let page = chaff_clean::clean_page(&Config::default(), text, Some(&[]));
    assert!(page.text.contains("said\non Wednesday"), "{}", page.text);
}
