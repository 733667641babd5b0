//! Figures: sales (`les ventes de la semaine`, `sales today`, `ventes d'hier`) and the report
//! (`rapport hebdo`, `weekly report`, `monthly report with chart`).

use chrono::{DateTime, Utc};
use subjects::params::{AnalyticsParams, Period, ReportParams};
use subjects::Command;

use super::text::Request;
use super::time::{take_window, Window};
use super::{Built, Ctx, Lang};

/// A period as said to the admin, after "les ventes" / "the sales".
fn show_period(period: Period, lang: Lang) -> &'static str {
    match (period, lang) {
        (Period::Today, Lang::Fr) => "d'aujourd'hui",
        (Period::Week, Lang::Fr) => "des 7 derniers jours",
        (Period::Month, Lang::Fr) => "des 30 derniers jours",
        (Period::All, Lang::Fr) => "depuis l'ouverture",
        (Period::Today, Lang::En) => "for today",
        (Period::Week, Lang::En) => "for the last 7 days",
        (Period::Month, Lang::En) => "for the last 30 days",
        (Period::All, Lang::En) => "since the shop opened",
    }
}

fn show_range(from: DateTime<Utc>, to: Option<DateTime<Utc>>, lang: Lang) -> String {
    let day = |at: DateTime<Utc>| at.format(lang.pick("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M")).to_string();
    match to {
        Some(to) => {
            lang.pick(format!("du {} au {} UTC", day(from), day(to)), format!("from {} to {} UTC", day(from), day(to)))
        }
        None => lang.pick(format!("depuis le {} UTC", day(from)), format!("since {} UTC", day(from))),
    }
}

/// Builds an `analytics` order (the last 7 days unless another period is asked).
pub(crate) fn analytics(req: &mut Request, ctx: &Ctx) -> Built {
    let lang = ctx.lang;
    let (params, when) = match take_window(req, ctx.now, false).unwrap_or(Window::Named(Period::Week)) {
        Window::Named(period) => {
            (AnalyticsParams { period, from: None, to: None }, show_period(period, lang).to_owned())
        }
        Window::Range(from, to) => {
            (AnalyticsParams { period: Period::Week, from: Some(from), to }, show_range(from, to, lang))
        }
    };
    Built::one(
        Command::Analytics(params),
        lang.pick(format!("Donner les ventes {when}"), format!("Give the sales {when}")),
        lang.pick(format!("📊 Voici les ventes {when}."), format!("📊 Here are the sales {when}.")),
    )
}

/// Builds a `report` order (the week unless another period is asked; the chart on demand).
pub(crate) fn report(req: &mut Request, ctx: &Ctx) -> Built {
    let lang = ctx.lang;
    let period = match take_window(req, ctx.now, true) {
        Some(Window::Named(period)) => period,
        _ => Period::Week,
    };
    let chart = req.has(&["graphique*", "graph*", "chart*", "courbe*", "png", "image", "diagramme*"]);
    let what = match (period, lang) {
        (Period::Today, Lang::Fr) => "le rapport du jour",
        (Period::Week, Lang::Fr) => "le rapport de la semaine",
        (Period::Month, Lang::Fr) => "le rapport du mois",
        (Period::All, Lang::Fr) => "le rapport depuis l'ouverture",
        (Period::Today, Lang::En) => "today's report",
        (Period::Week, Lang::En) => "the weekly report",
        (Period::Month, Lang::En) => "the monthly report",
        (Period::All, Lang::En) => "the all-time report",
    };
    let with = match (chart, lang) {
        (true, Lang::Fr) => " avec le graphique",
        (true, Lang::En) => " with the chart",
        (false, _) => "",
    };
    Built::one(
        Command::Report(ReportParams { period, chart }),
        lang.pick(format!("Préparer {what}{with}"), format!("Prepare {what}{with}")),
        lang.pick(format!("📈 Voici {what}{with}."), format!("📈 Here is {what}{with}.")),
    )
}
