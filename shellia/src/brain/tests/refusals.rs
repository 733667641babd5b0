//! Requests that must be asked back or refused, in the request's language.

use super::*;
use crate::brain::Lang::{En, Fr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ask,
    Refuse,
}
use Verdict::{Ask, Refuse};

/// Each request, the verdict, the language, and a piece of what must be said.
fn cases() -> Vec<(&'static str, Verdict, Lang, &'static str)> {
    vec![
        // Nothing to read, or nothing understood.
        ("", Ask, Fr, "Que veux-tu"),
        ("   ", Ask, Fr, "Que veux-tu"),
        ("@Shellia", Ask, Fr, "Que veux-tu"),
        ("<@123456789>", Ask, Fr, "Que veux-tu"),
        ("asdf qwerty", Ask, Fr, "pas compris"),
        ("bonjour", Ask, Fr, "pas compris"),
        ("what is the meaning of life", Ask, En, "did not understand"),
        // Targets.
        ("promo de 20% sur les plans Pro sur le shop", Ask, Fr, "Quel shop"),
        ("statut du shop", Ask, Fr, "Quel shop"),
        ("restart on the shop", Ask, En, "Which shop"),
        ("statut du shop1 et du shop2", Ask, Fr, "Un seul destinataire"),
        ("@shop.eu status please", Ask, En, "do not know"),
        // Discounts.
        ("promo de 150% sur tout", Refuse, Fr, "150%"),
        ("200% off everything", Refuse, En, "200%"),
        ("promo de 80% sur les plans Pro", Refuse, Fr, "plafond de 50%"),
        ("60% off the pro plan", Refuse, En, "50% cap"),
        ("promo de 0% sur tout", Ask, Fr, "0%"),
        ("lance une promo sur les plans Pro", Ask, Fr, "De combien"),
        ("start a promotion on the Pro plan", Ask, En, "How much"),
        // What a promotion applies to.
        ("promo de 20%", Ask, Fr, "Sur quels produits"),
        ("20% discount for two days", Ask, En, "On which products"),
        ("promo de 20% sur le plan ⭐", Ask, Fr, "Quel plan"),
        ("promo de 20% sur le pro", Ask, Fr, "plan ou un produit"),
        // Destructive or unsupported.
        ("supprime tout", Refuse, Fr, "destructrice"),
        ("delete everything", Refuse, En, "destructive"),
        ("drop the database", Refuse, En, "destructive"),
        ("exécute rm -rf /", Refuse, Fr, "destructrice"),
        ("efface la base de données du shop1", Refuse, Fr, "destructrice"),
        ("run !shutdown now", Refuse, En, "not an allowed command"),
        ("exécute la commande ls", Refuse, Fr, "pas une commande autorisée"),
        ("ban everyone who left", Refuse, En, "not something I can do"),
        ("rembourse tout le monde", Refuse, Fr, "je ne sais pas faire"),
        ("give me the nats password", Refuse, En, "not something I can do"),
        ("stop the promo on the pro plan", Refuse, En, "not something I can do"),
        ("set stripe.secret_key to abc", Refuse, En, "not a setting"),
        // Something missing.
        ("giveaway 24h 2 gagnants", Ask, Fr, "Quel lot"),
        ("annonce", Ask, Fr, "Quel message"),
        ("mets le prix du pro", Ask, Fr, "Quelle valeur pour price.pro"),
        ("set the price to 10", Ask, En, "which plan"),
        ("end the giveaway", Ask, En, "Which giveaway"),
        ("restart asia", Ask, En, "\"asia\""),
        ("promo de 20% sur tout pour asia", Ask, Fr, "« asia »"),
        ("set foo.bar to 3", Refuse, En, "not a setting"),
        ("run ls", Refuse, En, "not an allowed command"),
    ]
}

#[test]
fn requests_that_cannot_be_planned_are_asked_back_or_refused_in_their_language() {
    let strategy = Strategy::default();
    let mut failures = Vec::new();
    for (text, verdict, lang, says) in cases() {
        let got = understand(text, &strategy, now());
        let ok = match (&got, verdict) {
            (Understood::Ask { lang: l, question: t }, Ask) | (Understood::Refuse { lang: l, reason: t }, Refuse) => {
                *l == lang && t.contains(says)
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("{text:?}: want {verdict:?} {lang:?} containing {says:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{} failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_refusal_table_has_enough_cases() {
    assert!(cases().len() >= 15);
}

#[test]
fn a_text_to_announce_is_never_read_as_an_instruction() {
    let plan = plan_of("annonce : on supprime les frais de port, exécute vite ta commande !", &Strategy::default());
    assert_eq!(
        plan.commands,
        vec![announce("on supprime les frais de port, exécute vite ta commande !", Audience::Everyone)]
    );
}

#[test]
fn no_text_makes_the_brain_panic() {
    let strategy = Strategy::default();
    let odd = [
        "«",
        "\"",
        ":",
        "::",
        "<@&",
        "<#>",
        "<@&12>",
        "%",
        "$",
        "€5",
        "9999999999999999999999%",
        "a hundred percent",
        "cent cent cent cent cent cent cent cent cent cent cent cent",
        "mille mille mille mille mille mille mille",
        "ventes des 99999999999999 derniers jours",
        "promo 99999999999999999999 jours 20% sur tout",
        "🎉🎉🎉",
        "giveaway",
        "giveaway :",
        "annonce :",
        "@",
        "@@",
        "!",
        "!!",
        "promo de 20% sur le plan ⭐ et",
        "ferme pour",
        "promo -",
        "5,",
        ",5",
        "1.2.3 euros",
        "ÉTAT DU SHOP1",
        "ſ",
        "İstanbul",
    ];
    let long = format!("promo de 20% sur {}", "le plan pro et ".repeat(300));
    let _ = understand(&long, &strategy, now());
    let texts = fr_and_en().into_iter().chain(odd.iter().map(|s| s.to_string()));
    for text in texts {
        for end in (0..=text.len()).filter(|&e| text.is_char_boundary(e)) {
            let _ = understand(&text[..end], &strategy, now());
        }
    }
}

fn fr_and_en() -> Vec<String> {
    cases().into_iter().map(|(t, ..)| t.to_owned()).chain([
        "@Shellia Lance une promotion de 20% sur les plans Pro pendant deux jours pour les inactifs depuis 30 jours".to_owned(),
        "giveaway Nitro Classic à 100 membres, 3 gagnants, une semaine, sur le groupe eu".to_owned(),
        "annonce \"Soldes\" aux membres qui ont activé les pings dans <#123456789>".to_owned(),
    ]).collect()
}
