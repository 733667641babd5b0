//! French requests and the exact orders they give.

use subjects::params::*;
use subjects::Command;

use super::*;
use crate::brain::Lang::Fr;

fn cases() -> Vec<Case> {
    vec![
        // The seed's example and its variants.
        case(
            "@Shellia Lance une promotion de 20% sur les plans Pro",
            Fr,
            all(),
            promo(pct(20), on_plan("pro"), 48 * H, inactive()),
        ),
        case(
            "<@123456789> lance une promo de 20% sur les plans Pro",
            Fr,
            all(),
            promo(pct(20), on_plan("pro"), 48 * H, inactive()),
        ),
        case(
            "Lance une promotion de vingt pour cent sur les plans Pro pendant deux jours",
            Fr,
            all(),
            promo(pct(20), on_plan("pro"), 2 * DAY, inactive()),
        ),
        case(
            "promo de 20% sur les plans Pro pendant 48h",
            Fr,
            all(),
            promo(pct(20), on_plan("pro"), 48 * H, inactive()),
        ),
        case(
            "promo 15% sur le plan Max pendant une semaine",
            Fr,
            all(),
            promo(pct(15), on_plan("max"), 7 * DAY, inactive()),
        ),
        case(
            "promo de 5€ sur le produit ebook pendant 2 jours",
            Fr,
            all(),
            promo(money(500, "eur"), product("ebook"), 2 * DAY, inactive()),
        ),
        case(
            "réduction de 5 euros sur tout le catalogue",
            Fr,
            all(),
            promo(money(500, "eur"), PromoTarget::All, 48 * H, inactive()),
        ),
        case(
            "promo de 30% sur tout ce week-end",
            Fr,
            all(),
            promo(pct(30), PromoTarget::All, 4 * DAY + 13 * H + 59 * 60, inactive()),
        ),
        case(
            "promo de cinquante pour cent sur toute la boutique pendant 24 heures",
            Fr,
            all(),
            promo(pct(50), PromoTarget::All, 24 * H, inactive()),
        ),
        case(
            "promo de vingt-cinq pour cent sur l'offre Premium",
            Fr,
            all(),
            promo(pct(25), on_plan("premium"), 48 * H, inactive()),
        ),
        case(
            "promo de 10% sur les plans Pro pour les membres inactifs depuis 60 jours",
            Fr,
            all(),
            promo(pct(10), on_plan("pro"), 48 * H, Audience::InactiveDays(60)),
        ),
        case(
            "promo de 10% sur le plan pro pour les membres inactifs",
            Fr,
            all(),
            promo(pct(10), on_plan("pro"), 48 * H, inactive()),
        ),
        case(
            "promo de 10% sur le plan pro pour ceux qui ont activé les pings",
            Fr,
            all(),
            promo(pct(10), on_plan("pro"), 48 * H, Audience::PromoPing),
        ),
        case(
            "promo de 10% sur le plan pro en promo-ping",
            Fr,
            all(),
            promo(pct(10), on_plan("pro"), 48 * H, Audience::PromoPing),
        ),
        case(
            "promo de 25% sur tout le catalogue pour tout le monde",
            Fr,
            all(),
            promo(pct(25), PromoTarget::All, 48 * H, Audience::Everyone),
        ),
        case(
            "promo de 20% sur les plans Pro sur le shop1",
            Fr,
            named("shop1"),
            promo(pct(20), on_plan("pro"), 48 * H, inactive()),
        ),
        case(
            "promo de 20% sur les plans Pro pour eu",
            Fr,
            named("eu"),
            promo(pct(20), on_plan("pro"), 48 * H, inactive()),
        ),
        case("@eu promo de 20% sur les plans Pro", Fr, named("eu"), promo(pct(20), on_plan("pro"), 48 * H, inactive())),
        case(
            "promo de 20% sur les plans Pro sur tous les shops",
            Fr,
            all(),
            promo(pct(20), on_plan("pro"), 48 * H, inactive()),
        ),
        case("-20% sur le plan Pro pendant 3 jours", Fr, all(), promo(pct(20), on_plan("pro"), 3 * DAY, inactive())),
        // Status.
        case("état de maxis", Fr, all(), Command::Status(StatusParams {})),
        case("statut du shop1", Fr, named("shop1"), Command::Status(StatusParams {})),
        case("Comment vont les boutiques ?", Fr, all(), Command::Status(StatusParams {})),
        case("@eu état", Fr, named("eu"), Command::Status(StatusParams {})),
        case("état du groupe eu", Fr, named("eu"), Command::Status(StatusParams {})),
        // Figures.
        case("les ventes de la semaine", Fr, all(), analytics(Period::Week)),
        case("ventes d'aujourd'hui sur le shop2", Fr, named("shop2"), analytics(Period::Today)),
        case("chiffre d'affaires du mois", Fr, all(), analytics(Period::Month)),
        case("combien on a vendu depuis le début ?", Fr, all(), analytics(Period::All)),
        case("rapport hebdo", Fr, all(), report(Period::Week, false)),
        case("rapport du mois avec graphique pour eu", Fr, named("eu"), report(Period::Month, true)),
        // Giveaways.
        case("giveaway Nitro 24h 2 gagnants", Fr, all(), giveaway("Nitro", 2, 24 * H, GiveawayTrigger::Now)),
        case("giveaway Nitro à 100 membres", Fr, all(), giveaway("Nitro", 1, 24 * H, GiveawayTrigger::Members(100))),
        case(
            "lance un concours pour gagner un Nitro Classic pendant une semaine avec trois gagnants",
            Fr,
            all(),
            giveaway("Nitro Classic", 3, 7 * DAY, GiveawayTrigger::Now),
        ),
        case(
            "giveaway d'une carte cadeau de 10€ sur le shop2",
            Fr,
            named("shop2"),
            giveaway("carte cadeau de 10€", 1, 24 * H, GiveawayTrigger::Now),
        ),
        case("liste des giveaways", Fr, all(), Command::Giveaways(GiveawaysParams::List)),
        // Open, close, restart.
        case("ferme la boutique pour inventaire", Fr, all(), stop(Some("inventaire"))),
        case("ferme le shop2", Fr, named("shop2"), stop(None)),
        case("Shellia, ferme la boutique : inventaire annuel", Fr, all(), stop(Some("inventaire annuel"))),
        case("ouvre la boutique", Fr, all(), Command::Start(StartParams {})),
        case("rouvre le shop1", Fr, named("shop1"), Command::Start(StartParams {})),
        case("redémarre le shop2", Fr, named("shop2"), Command::Restart(RestartParams {})),
        case("redémarre tous les shops", Fr, all(), Command::Restart(RestartParams {})),
        // Settings.
        case("mets le prix du pro à 29.99", Fr, all(), config("price.pro", Some("29.99"))),
        case("change le prix du plan Pro à 29,99€", Fr, all(), config("price.pro", Some("29.99"))),
        case("quel est le prix du pro ?", Fr, all(), config("price.pro", None)),
        case("passe la devise en usd", Fr, all(), config("shop.currency", Some("usd"))),
        case("règle la réduction max à 40%", Fr, all(), config("promo.max_discount", Some("40"))),
        case("mets le salon des annonces sur <#123456789>", Fr, all(), config("announce.channel", Some("123456789"))),
        case(
            "renomme la boutique en Chez Maxis sur le shop1",
            Fr,
            named("shop1"),
            config("shop.name", Some("Chez Maxis")),
        ),
        // Announcements, commands, lists.
        case("annonce : Soldes ce soir !", Fr, all(), announce("Soldes ce soir !", Audience::Everyone)),
        case(
            "annonce aux membres inactifs : On vous a manqué !",
            Fr,
            all(),
            announce("On vous a manqué !", inactive()),
        ),
        case(
            "@us annonce Nouveaux produits en ligne !",
            Fr,
            named("us"),
            announce("Nouveaux produits en ligne !", Audience::Everyone),
        ),
        case("exécute !status", Fr, all(), Command::Execute(ExecuteParams { command: "!status".into() })),
        case("resynchronise les rôles", Fr, all(), Command::Resync(ResyncParams {})),
        case("montre le catalogue", Fr, all(), Command::Catalog(CatalogParams::List)),
        case("la boutique est-elle ouverte ?", Fr, all(), Command::Status(StatusParams {})),
        case(
            "Mets 10% de réduction sur l'abonnement Premium cette semaine",
            Fr,
            all(),
            promo(pct(10), on_plan("premium"), 7 * DAY, inactive()),
        ),
        case("mets le shop1 en pause", Fr, named("shop1"), stop(None)),
        case("liste des précommandes sur le shop1", Fr, named("shop1"), Command::Preorder(PreorderParams::List)),
    ]
}

#[test]
fn french_requests_give_the_expected_orders() {
    check(&cases());
}

#[test]
fn the_french_table_has_enough_cases() {
    assert!(cases().len() >= 30);
}
