//! Why a request does not become a plan: something to ask back, or something to refuse, each
//! said in the request's language.

use super::{Lang, Understood};

/// Why a request is not (yet) a plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Trouble {
    /// Nothing to read.
    #[error("the request is empty")]
    Empty,
    /// Words, but no request the brain knows.
    #[error("the request is not one the brain understands")]
    Unknown,
    /// A shop is named without saying which (`sur le shop`).
    #[error("which shop is meant is not said")]
    AmbiguousTarget,
    /// A shop or group that is not in the fleet, or not a valid name.
    #[error("unknown shop or group {name:?}")]
    UnknownTarget {
        /// As written.
        name: String,
        /// The fleet's shops and groups, comma-separated (empty when unknown).
        known: String,
    },
    /// Two different shops or groups in one request.
    #[error("two targets in one request: {0} and {1}")]
    TwoTargets(String, String),
    /// A promotion without a percent or an amount.
    #[error("the promotion has no discount")]
    NoDiscount,
    /// A discount that cannot be applied (0, a fraction of a percent).
    #[error("{0} is not a usable discount")]
    BadDiscount(String),
    /// A percent above 100.
    #[error("{0}% is more than 100%")]
    OverHundred(u64),
    /// A percent above the strategy's cap.
    #[error("{asked}% is above the cap of {cap}%")]
    AboveCap {
        /// Asked.
        asked: u8,
        /// Allowed.
        cap: u8,
    },
    /// A promotion without what it applies to.
    #[error("the promotion does not say which products")]
    NoPromoTarget,
    /// `plan` without a readable plan name.
    #[error("the plan's name cannot be read")]
    UnknownPlan,
    /// A name that could be a plan or a product.
    #[error("{0:?} could be a plan or a product")]
    PlanOrProduct(String),
    /// A giveaway without a prize.
    #[error("the giveaway has no prize")]
    NoPrize,
    /// An existing giveaway is meant, without its id.
    #[error("the giveaway's id is missing")]
    NoGiveawayId,
    /// An announcement without a message.
    #[error("the announcement has no message")]
    NoMessage,
    /// A destructive request.
    #[error("destructive request ({0})")]
    Destructive(String),
    /// A request Shellia does not carry out.
    #[error("unsupported request ({0})")]
    Unsupported(String),
    /// A command outside Maxis's allow-list.
    #[error("{0:?} is not an allowed command")]
    NotAllowed(String),
    /// A setting that is not in the allow-list.
    #[error("{0:?} is not a setting that can be changed")]
    UnknownSetting(String),
    /// `price` without a plan.
    #[error("the price of which plan is not said")]
    NoPlanForPrice,
    /// A setting to write without its value.
    #[error("no value for {0}")]
    NoSettingValue(String),
    /// A value that does not fit the setting.
    #[error("{value:?} is not a value for {key}")]
    BadSettingValue {
        /// Setting key.
        key: String,
        /// As written.
        value: String,
    },
    /// A negative number where only a positive one makes sense (a price, winners, uses).
    #[error("{0} is negative")]
    Negative(String),
    /// An amount out of any sensible range (a price above 1,000,000, a cap above 100%).
    #[error("{0} is out of range")]
    Absurd(String),
    /// A plan or product the addressed shops do not have.
    #[error("unknown {kind} {name:?}")]
    UnknownItem {
        /// `plan` or `product`.
        kind: &'static str,
        /// As written.
        name: String,
        /// What the shops have, comma-separated.
        known: String,
    },
    /// A name that fits several plans or products.
    #[error("{name:?} fits {candidates}")]
    AmbiguousItem {
        /// As written.
        name: String,
        /// The ids it fits, comma-separated.
        candidates: String,
    },
    /// Two values for one thing (two durations).
    #[error("two values: {0} and {1}")]
    Contradiction(String, String),
    /// A channel named by its name: Shellia needs the mention (its id).
    #[error("channel {0} named without its id")]
    ChannelName(String),
    /// A role named by its name: Shellia needs the mention (its id).
    #[error("role {0} named without its id")]
    RoleName(String),
    /// A giveaway with no winner.
    #[error("no winner")]
    NoWinners,
    /// An audience Shellia cannot reach ("active members", "new members").
    #[error("unknown audience {0}")]
    UnknownAudience(String),
    /// "everything except the mug": a promotion cannot leave items out.
    #[error("cannot leave {0} out")]
    Except(String),
    /// "restart everything except shop1": an order goes to one target, never to all but one.
    #[error("cannot leave shop {0} out")]
    ExceptTarget(String),
    /// A command the contract would refuse.
    #[error("invalid order: {0}")]
    Invalid(String),
    /// `why` or `grant` without a member's mention or id.
    #[error("which member is not said")]
    NoMember,
    /// A member named as `@name`, without the mention that carries the id.
    #[error("member {0} named without its id")]
    MemberName(String),
    /// A free trial without the plan it is for.
    #[error("the plan of the trial is not said")]
    TrialSetting(String),
    /// "close shop1 tomorrow", "announce at 9am: …": an order that runs when it is sent, asked
    /// for later; refused rather than run now.
    #[error("cannot schedule {0}")]
    NotSchedulable(String),
    /// A preorder without its product, release date or cap.
    #[error("the preorder's {0} is missing")]
    NoPreorderValue(&'static str),
}

const ALLOWED: &str = "!status, !open, !close, !announce, !config, !analytics, !report";

impl Trouble {
    /// Whether this is refused (rather than asked back).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::OverHundred(_)
                | Self::Negative(_)
                | Self::Absurd(_)
                | Self::AboveCap { .. }
                | Self::Destructive(_)
                | Self::Unsupported(_)
                | Self::NotAllowed(_)
                | Self::UnknownSetting(_)
                | Self::Invalid(_)
                | Self::NotSchedulable(_)
        )
    }

    /// What Shellia says, in French.
    pub fn french(&self) -> String {
        match self {
            Self::Empty => "Que veux-tu que je fasse ? Par exemple : « état de maxis », « lance une promo de 20% sur les plans Pro », « rapport hebdo ».".into(),
            Self::Unknown => "Je n'ai pas compris. Je sais donner l'état, les ventes et le rapport, lancer une promo ou un giveaway, ouvrir, fermer ou redémarrer un shop, changer un réglage et publier une annonce.".into(),
            Self::AmbiguousTarget => "Quel shop ? Donne son nom (« sur shop1 »), un groupe (« pour eu ») ou dis « tous les shops ».".into(),
            Self::UnknownTarget { name, known } if known.is_empty() => format!("Je ne connais pas le shop ou groupe « {name} » : écris « @{name} » pour le viser, ou « tous les shops »."),
            Self::UnknownTarget { name, known } => format!("Je ne connais pas « {name} ». Shops et groupes : {known}."),
            Self::TwoTargets(a, b) => format!("Un seul destinataire à la fois : « {a} » ou « {b} » ?"),
            Self::NoDiscount => "De combien ? Un pourcentage (« 20% ») ou un montant (« 5€ »).".into(),
            Self::BadDiscount(d) => format!("« {d} » n'est pas une réduction possible : un pourcentage entier de 1 à 100, ou un montant."),
            Self::OverHundred(p) => format!("Je refuse : {p}% n'a pas de sens, une réduction va de 1 à 100%."),
            Self::AboveCap { asked, cap } => format!("Je refuse : {asked}% dépasse le plafond de {cap}% fixé par la stratégie."),
            Self::NoPromoTarget => "Sur quels produits ? Un plan (« sur les plans Pro »), un produit (« sur le produit ebook ») ou « tout le catalogue ».".into(),
            Self::UnknownPlan => "Quel plan ? Je n'arrive pas à lire son nom (par exemple « sur le plan pro »).".into(),
            Self::PlanOrProduct(n) => format!("« {n} » est-il un plan ou un produit ? Dis « sur le plan {n} » ou « sur le produit {n} »."),
            Self::NoPrize => "Quel lot pour ce giveaway ? Par exemple « giveaway Nitro 24h 2 gagnants ».".into(),
            Self::NoGiveawayId => "Quel giveaway ? Donne son identifiant (la liste : « liste des giveaways »).".into(),
            Self::NoMessage => "Quel message dois-je annoncer ? Par exemple « annonce : Soldes ce soir ! ».".into(),
            Self::Destructive(w) => format!("Je refuse : « {w} » est une action destructrice, que je ne fais jamais."),
            Self::Unsupported(w) => format!("Je refuse : je ne sais pas faire ça (« {w} »)."),
            Self::NotAllowed(c) => format!("Je refuse : « {c} » n'est pas une commande autorisée ({ALLOWED}), et je n'exécute jamais de shell."),
            Self::UnknownSetting(k) => format!("Je refuse : « {k} » n'est pas un réglage modifiable (price.<plan>, trial.<plan>, shop.currency, shop.name, shop.closed_message, announce.channel, giveaway.channel, promo.max_discount, promo.default_hours, marketing.promo_ping_role)."),
            Self::NoPlanForPrice => "Le prix de quel plan ? Par exemple « mets le prix du pro à 29.99 ».".into(),
            Self::NoSettingValue(k) => format!("Quelle valeur pour {k} ?"),
            Self::BadSettingValue { key, value } => format!("« {value} » n'est pas une valeur possible pour {key}."),
            Self::Negative(n) => format!("Je refuse : « {n} » est négatif, seul un nombre positif a du sens ici."),
            Self::Absurd(n) => format!("Je refuse : « {n} » est hors de toute limite raisonnable."),
            Self::UnknownItem { kind, name, known } => format!("Les shops visés n'ont pas de {} « {name} ». Ils ont : {known}. Lequel ?", if *kind == "plan" { "plan" } else { "produit" }),
            Self::AmbiguousItem { name, candidates } => format!("« {name} » peut être {candidates} : lequel ?"),
            Self::Contradiction(a, b) => format!("« {a} » ou « {b} » ? Les deux se contredisent : lequel ?"),
            Self::NoWinners => "Combien de gagnants ? Au moins un.".into(),
            Self::UnknownAudience(who) => format!("Je ne sais pas viser « {who} ». Je peux annoncer à tout le monde, aux membres qui ont activé les pings promo, à un rôle (mentionne-le) ou aux membres inactifs depuis N jours : lequel ?"),
            Self::ExceptTarget(what) => format!("Je ne sais pas exclure « {what} » : un ordre vise un shop, un groupe ou tous les shops. Lequel ?"),
            Self::Except(what) => format!("Je ne sais pas exclure « {what} » d'une promotion : nomme les plans ou les produits qu'elle concerne (« sur le pro et le premium »)."),
            Self::ChannelName(c) => format!("Quel salon est « {c} » ? Mentionne-le (tape # et choisis-le dans la liste) pour que j'aie son identifiant."),
            Self::RoleName(r) => format!("Quel rôle est « {r} » ? Mentionne-le (@{r} choisi dans la liste) pour que j'aie son identifiant."),
            Self::Invalid(m) => format!("Je refuse : l'ordre serait invalide ({m})."),
            Self::NoMember => "Quel membre ? Mentionne-le (@pseudo choisi dans la liste) ou donne son identifiant Discord.".into(),
            Self::MemberName(m) => format!("Quel membre est « {m} » ? Mentionne-le (@{m} choisi dans la liste) pour que j'aie son identifiant."),
            Self::NotSchedulable(when) => format!("Je ne peux pas programmer ça ({when}) : cet ordre s'exécute dès qu'il est envoyé (seules les promos et les précommandes se programment). Redemande-le à ce moment-là."),
            Self::TrialSetting(_) => "L'essai gratuit de quel plan ? Par exemple « offre 7 jours d'essai sur le plan Pro ».".into(),
            Self::NoPreorderValue("product") => "Quel produit en précommande ? Par exemple « précommandes du mug ».".into(),
            Self::NoPreorderValue("release_at") => "Pour quelle date de sortie ? Par exemple « sortie le 15 janvier ».".into(),
            Self::NoPreorderValue(_) => "Combien de précommandes au plus ? Par exemple « 200 places ».".into(),
        }
    }

    /// What Shellia says, in English.
    pub fn english(&self) -> String {
        match self {
            Self::Empty => "What should I do? For example: \"how are the shops doing\", \"20% off the Pro plans\", \"weekly report\".".into(),
            Self::Unknown => "I did not understand. I can give the status, the sales and the report, start a promotion or a giveaway, open, close or restart a shop, change a setting and post an announcement.".into(),
            Self::AmbiguousTarget => "Which shop? Name it (\"on shop1\"), a group (\"for eu\") or say \"every shop\".".into(),
            Self::UnknownTarget { name, known } if known.is_empty() => format!("I do not know the shop or group \"{name}\": write \"@{name}\" to address it, or \"every shop\"."),
            Self::UnknownTarget { name, known } => format!("I do not know \"{name}\". Shops and groups: {known}."),
            Self::TwoTargets(a, b) => format!("One target at a time: \"{a}\" or \"{b}\"?"),
            Self::NoDiscount => "How much off? A percent (\"20%\") or an amount (\"$5\").".into(),
            Self::BadDiscount(d) => format!("\"{d}\" is not a possible discount: a whole percent from 1 to 100, or an amount."),
            Self::OverHundred(p) => format!("I won't: {p}% makes no sense, a discount goes from 1 to 100%."),
            Self::AboveCap { asked, cap } => format!("I won't: {asked}% is above the {cap}% cap set by the strategy."),
            Self::NoPromoTarget => "On which products? A plan (\"on the Pro plans\"), a product (\"on product ebook\") or \"everything\".".into(),
            Self::UnknownPlan => "Which plan? I cannot read its name (for example \"on the pro plan\").".into(),
            Self::PlanOrProduct(n) => format!("Is \"{n}\" a plan or a product? Say \"on the {n} plan\" or \"on product {n}\"."),
            Self::NoPrize => "What is the prize? For example \"giveaway Nitro 24h 2 winners\".".into(),
            Self::NoGiveawayId => "Which giveaway? Give its id (see \"list giveaways\").".into(),
            Self::NoMessage => "What should I announce? For example \"announce: Sale tonight!\".".into(),
            Self::Destructive(w) => format!("I won't: \"{w}\" is destructive, and I never do that."),
            Self::Unsupported(w) => format!("I won't: that is not something I can do (\"{w}\")."),
            Self::NotAllowed(c) => format!("I won't: \"{c}\" is not an allowed command ({ALLOWED}), and I never run a shell."),
            Self::UnknownSetting(k) => format!("I won't: \"{k}\" is not a setting that can be changed (price.<plan>, trial.<plan>, shop.currency, shop.name, shop.closed_message, announce.channel, giveaway.channel, promo.max_discount, promo.default_hours, marketing.promo_ping_role)."),
            Self::NoPlanForPrice => "The price of which plan? For example \"set price_pro to 29.99\".".into(),
            Self::NoSettingValue(k) => format!("Which value for {k}?"),
            Self::BadSettingValue { key, value } => format!("\"{value}\" is not a possible value for {key}."),
            Self::Negative(n) => format!("I won't: \"{n}\" is negative, only a positive number makes sense here."),
            Self::Absurd(n) => format!("I won't: \"{n}\" is beyond any sensible limit."),
            Self::UnknownItem { kind, name, known } => format!("The shops addressed have no {kind} \"{name}\". They have: {known}. Which one?"),
            Self::AmbiguousItem { name, candidates } => format!("\"{name}\" could be {candidates}: which one?"),
            Self::Contradiction(a, b) => format!("\"{a}\" or \"{b}\"? They contradict each other: which one?"),
            Self::NoWinners => "How many winners? At least one.".into(),
            Self::UnknownAudience(who) => format!("I cannot reach \"{who}\". I can announce to everyone, to members who opted in to promo pings, to a role (mention it) or to members inactive for N days: which one?"),
            Self::ExceptTarget(what) => format!("I cannot leave \"{what}\" out: an order goes to one shop, one group or every shop. Which one?"),
            Self::Except(what) => format!("I cannot leave \"{what}\" out of a promotion: name the plans or products it is on (\"on pro and premium\")."),
            Self::ChannelName(c) => format!("Which channel is \"{c}\"? Mention it (type # and pick it) so I get its id."),
            Self::RoleName(r) => format!("Which role is \"{r}\"? Mention it (@{r} picked from the list) so I get its id."),
            Self::Invalid(m) => format!("I won't: the order would be invalid ({m})."),
            Self::NoMember => "Which member? Mention them (@name picked from the list) or give their Discord id.".into(),
            Self::MemberName(m) => format!("Which member is \"{m}\"? Mention them (@{m} picked from the list) so I get their id."),
            Self::NotSchedulable(when) => format!("I can't schedule that ({when}): this order runs as soon as it is sent (only promotions and preorders are scheduled). Ask again at that time."),
            Self::TrialSetting(_) => "A free trial on which plan? For example \"give Pro a 7-day trial\".".into(),
            Self::NoPreorderValue("product") => "Preorders of which product? For example \"preorders of the mug\".".into(),
            Self::NoPreorderValue("release_at") => "Released when? For example \"release on january 15\".".into(),
            Self::NoPreorderValue(_) => "How many preorders at most? For example \"200 max\".".into(),
        }
    }

    /// The answer to the admin: a question, or a refusal.
    pub fn answer(&self, lang: Lang) -> Understood {
        let text = match lang {
            Lang::Fr => self.french(),
            Lang::En => self.english(),
        };
        if self.is_refusal() {
            Understood::Refuse { lang, reason: text }
        } else {
            Understood::Ask { lang, question: text }
        }
    }
}
