//! The catalog model: plain, valid data and nothing else.
//!
//! A value of these types exists only after `validate` accepted it ("parse, don't validate"):
//! render and policy never re-check what is here. This module does no I/O.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A closed list of values a record may use, with its Chinese label and a URL slug.
pub trait Vocabulary: Sized + Copy + Eq + 'static {
    /// Every value, in display order.
    const ALL: &'static [Self];
    /// The Chinese term departments write in records (e.g. `无条件开放`).
    fn label(self) -> &'static str;
    /// A stable ASCII slug for URLs.
    fn slug(self) -> &'static str;
    /// Finds the value whose label is `text`.
    fn from_label(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.label() == text)
    }
    /// The labels, for messages ("expected one of …").
    fn labels() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.label()).collect()
    }
}

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $label:literal / $slug:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $label)] $variant),+
        }
        impl Vocabulary for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn label(self) -> &'static str { match self { $(Self::$variant => $label),+ } }
            fn slug(self) -> &'static str { match self { $(Self::$variant => $slug),+ } }
        }
    };
}

vocabulary! {
    /// Administrative level of the platform (第十条): 自治区, 市, 县, 乡, 村.
    Level {
        /// 自治区: the autonomous region.
        Region = "自治区" / "region",
        /// 市: a prefecture-level city.
        City = "市" / "city",
        /// 县: a county-level unit (县, 区, 县级市).
        County = "县" / "county",
        /// 乡: a township-level unit (乡, 镇, 街道).
        Township = "乡" / "township",
        /// 村: a village or community committee.
        Village = "村" / "village",
    }
}

vocabulary! {
    /// Open type (开放类型, 第十九条).
    OpenType {
        /// 无条件开放: open to anyone.
        Unconditional = "无条件开放" / "unconditional",
        /// 有条件开放: open on application, under stated conditions.
        Conditional = "有条件开放" / "conditional",
        /// 不予开放: not open; never published.
        NotOpen = "不予开放" / "not-open",
    }
}

vocabulary! {
    /// Update frequency (更新频率, 第十六条).
    UpdateFrequency {
        /// 实时
        Realtime = "实时" / "realtime",
        /// 每日
        Daily = "每日" / "daily",
        /// 每周
        Weekly = "每周" / "weekly",
        /// 每月
        Monthly = "每月" / "monthly",
        /// 每季度
        Quarterly = "每季度" / "quarterly",
        /// 每半年
        HalfYearly = "每半年" / "half-yearly",
        /// 每年
        Yearly = "每年" / "yearly",
        /// 不定期
        Irregular = "不定期" / "irregular",
    }
}

vocabulary! {
    /// Publication status of a dataset (第二十二条).
    Status {
        /// 正常: published.
        Active = "active" / "active",
        /// 暂停: suspended while an objection is verified; never published.
        Suspended = "suspended" / "suspended",
        /// 撤回: withdrawn; never published.
        Withdrawn = "withdrawn" / "withdrawn",
    }
}

vocabulary! {
    /// Kinds of review a dataset passes before opening (第十七条, 第二十九条).
    ReviewKind {
        /// 合法性审查
        Legal = "合法性审查" / "legal",
        /// 专家评审
        Expert = "专家评审" / "expert",
        /// 隐私审查
        Privacy = "隐私审查" / "privacy",
        /// 公众听证
        Hearing = "公众听证" / "hearing",
        /// 安全审查: required before anything is published.
        Security = "安全审查" / "security",
    }
}

vocabulary! {
    /// Where a takedown stands (第二十二条): suspended at once, verified, then withdrawn,
    /// restored, or reopened after processing. Records write the English word.
    TakedownState {
        /// 已暂停: the dataset is offline while the objection is verified.
        Suspended = "suspended" / "suspended",
        /// 核实中: the objection was verified; the dataset stays offline while it is handled.
        Verified = "verified" / "verified",
        /// 已撤回: the dataset is withdrawn for good.
        Withdrawn = "withdrawn" / "withdrawn",
        /// 已恢复: the objection did not hold; the dataset is back as it was.
        Restored = "restored" / "restored",
        /// 处理后重新开放: the data was corrected or de-sensitised and is open again.
        Reopened = "reopened" / "reopened",
    }
}

impl TakedownState {
    /// The state in plain Chinese, for the public notice.
    pub fn describe(self) -> &'static str {
        match self {
            TakedownState::Suspended => "已暂停",
            TakedownState::Verified => "核实中",
            TakedownState::Withdrawn => "已撤回",
            TakedownState::Restored => "已恢复",
            TakedownState::Reopened => "处理后重新开放",
        }
    }

    /// Whether the dataset is kept offline in this state.
    pub fn withholds(self) -> bool {
        matches!(
            self,
            TakedownState::Suspended | TakedownState::Verified | TakedownState::Withdrawn
        )
    }
}

vocabulary! {
    /// Why a takedown was asked for (第二十二条).
    Grounds {
        /// 商业秘密: a trade secret.
        TradeSecret = "商业秘密" / "trade-secret",
        /// 个人隐私: personal privacy.
        Privacy = "个人隐私" / "privacy",
        /// 其他: other lawful rights.
        Other = "其他" / "other",
    }
}

/// A takedown: an objection to a dataset and what the platform did about it (第二十二条).
/// It decides the dataset's public state over the dataset's own `status`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Takedown {
    /// The record's id: its file name without `.yaml`.
    pub id: String,
    /// The record file, as reports name it.
    pub record_path: String,
    /// The dataset objected to.
    pub dataset: DatasetId,
    /// When the objection was received.
    pub received: NaiveDate,
    /// Its grounds.
    pub grounds: Grounds,
    /// Where it stands now.
    pub state: TakedownState,
    /// The date of each state reached, in order (the last is `state`'s).
    pub history: Vec<(TakedownState, NaiveDate)>,
}

impl Takedown {
    /// The date the takedown last changed state.
    pub fn updated(&self) -> NaiveDate {
        self.history.last().map_or(self.received, |(_, date)| *date)
    }
}

/// A maintenance notice (第十三条): the platform stops serving between `start` and `end`,
/// times in China Standard Time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Notice {
    /// The record's id: its file name without `.yaml`.
    pub id: String,
    /// The record file, as reports name it.
    pub record_path: String,
    /// Its headline.
    pub title: String,
    /// When it was published.
    pub published: chrono::NaiveDateTime,
    /// When the maintenance starts.
    pub start: chrono::NaiveDateTime,
    /// When it ends.
    pub end: chrono::NaiveDateTime,
    /// The notice itself, Markdown.
    pub text: String,
}

/// An application built on open data, shown in the showcase (第二十五条).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ShowcaseApp {
    /// The record's id: its file name without `.yaml`.
    pub id: String,
    /// The record file, as reports name it.
    pub record_path: String,
    /// Its name.
    pub title: String,
    /// The organisation that built it.
    pub developer: String,
    /// What it does, Markdown.
    pub summary: String,
    /// Where to use it.
    pub url: Option<String>,
    /// When it joined the showcase.
    pub published: NaiveDate,
    /// The datasets it uses; only public ones once the catalog's policy applied.
    pub datasets: Vec<DatasetId>,
}

/// A department's annual opening plan (第十八条): the datasets it means to open that year.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Plan {
    /// The year planned.
    pub year: i32,
    /// The department.
    pub department: DeptCode,
    /// The record file, as reports name it.
    pub record_path: String,
    /// The datasets planned, in the record's order.
    pub items: Vec<PlannedDataset>,
}

/// One dataset of a plan: the id it will have, its title and, optionally, the date promised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PlannedDataset {
    /// The dataset id it is (or will be) published under.
    pub id: DatasetId,
    /// Its title as planned.
    pub title: String,
    /// The date it is promised by.
    pub due: Option<NaiveDate>,
}

vocabulary! {
    /// Where a demand for data stands (第十五条).
    DemandStatus {
        /// 办理中: received, not answered yet.
        Pending = "办理中" / "pending",
        /// 已开放: the data is open now.
        Opened = "已开放" / "opened",
        /// 列入计划: the department plans to open it.
        Planned = "列入计划" / "planned",
        /// 暂不开放: answered, not to be opened for now (the answer says why).
        Declined = "暂不开放" / "declined",
    }
}

/// A demand for data from the public (第十五条): what was asked of which department, and
/// its answer; never who asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Demand {
    /// The record's id: its file name without `.yaml`.
    pub id: String,
    /// The record file, as reports name it.
    pub record_path: String,
    /// The data asked for.
    pub title: String,
    /// The demand in more words, Markdown.
    pub summary: String,
    /// The department asked.
    pub department: DeptCode,
    /// When it was received.
    pub received: NaiveDate,
    /// Where it stands.
    pub status: DemandStatus,
    /// When and how it was answered, Markdown.
    pub answer: Option<(NaiveDate, String)>,
    /// The public dataset that answers it, once opened.
    pub dataset: Option<DatasetId>,
}

impl Demand {
    /// The last date it changed: its answer, or its receipt.
    pub fn last_change(&self) -> NaiveDate {
        self.answer
            .as_ref()
            .map_or(self.received, |(date, _)| *date)
    }
}

vocabulary! {
    /// Who applies for conditionally open data (第二十条); never a name.
    ApplicantKind {
        /// 自然人: a natural person.
        NaturalPerson = "自然人" / "natural-person",
        /// 法人: a legal person.
        LegalPerson = "法人" / "legal-person",
        /// 其他组织: another organisation.
        OtherOrganisation = "其他组织" / "other-organisation",
    }
}

vocabulary! {
    /// How urgent an application is (第二十条): it sets the review deadlines.
    Urgency {
        /// 普通
        Normal = "普通" / "normal",
        /// 加急
        Urgent = "加急" / "urgent",
        /// 特急
        Critical = "特急" / "critical",
    }
}

vocabulary! {
    /// The outcome of a review step.
    Decision {
        /// 通过
        Passed = "通过" / "passed",
        /// 不通过
        Refused = "不通过" / "refused",
    }
}

vocabulary! {
    /// How approved data reaches the applicant.
    Delivery {
        /// 下载
        Download = "下载" / "download",
        /// 接口
        Api = "接口" / "api",
    }
}

/// The steps of a conditional-open application with a deadline (第二十条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// 规范性审核 by the platform's information centre.
    NormativeReview,
    /// 提供部门审核 by the department that owns the data.
    OwnerReview,
    /// 审批 by the big data development bureau.
    Approval,
    /// 质量异议答复: the owner answers a quality objection.
    ObjectionAnswer,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 4] = [
        Stage::NormativeReview,
        Stage::OwnerReview,
        Stage::Approval,
        Stage::ObjectionAnswer,
    ];

    /// The stage in plain Chinese.
    pub fn describe(self) -> &'static str {
        match self {
            Stage::NormativeReview => "规范性审核",
            Stage::OwnerReview => "提供部门审核",
            Stage::Approval => "审批",
            Stage::ObjectionAnswer => "质量异议答复",
        }
    }
}

/// One step of an application with its deadline on the working-day calendar.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Step {
    /// Which step.
    pub stage: Stage,
    /// When it became due to start (the previous step's end).
    pub started: chrono::NaiveDateTime,
    /// When it must be done; `None` when the calendar does not reach that far.
    pub deadline: Option<chrono::NaiveDateTime>,
    /// When it was done, if it was.
    pub done: Option<chrono::NaiveDateTime>,
    /// Its outcome (review steps).
    pub decision: Option<Decision>,
    /// Whether a refusal gave its reason (第二十条(三)).
    pub reason_given: bool,
}

impl Step {
    /// Whether it was done after its deadline, or is still open past it at `now`.
    pub fn overdue(&self, now: chrono::NaiveDateTime) -> bool {
        match (self.deadline, self.done) {
            (Some(deadline), Some(done)) => done > deadline,
            (Some(deadline), None) => now > deadline,
            (None, _) => false,
        }
    }
}

/// The six dimensions an applicant rates delivered data on (第二十条).
pub const RATING_DIMENSIONS: [&str; 6] =
    ["规范性", "完整性", "准确性", "一致性", "时效性", "可用性"];

/// An application for conditionally open data (第二十条), as the generator keeps it: no
/// applicant's name or contact is ever recorded, and only aggregates are published.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Application {
    /// The record's id: its file name without `.yaml`.
    pub id: String,
    /// The record file, as reports name it.
    pub record_path: String,
    /// The dataset applied for.
    pub dataset: DatasetId,
    /// The department that owns it.
    pub department: DeptCode,
    /// Who applied.
    pub applicant: ApplicantKind,
    /// How urgent.
    pub urgency: Urgency,
    /// When it was submitted.
    pub submitted: chrono::NaiveDateTime,
    /// The steps reached, in order, with their deadlines.
    pub steps: Vec<Step>,
    /// When the usage agreement was signed.
    pub agreement: Option<chrono::NaiveDateTime>,
    /// When and how the data was delivered.
    pub delivered: Option<(chrono::NaiveDateTime, Delivery)>,
    /// The ratings, in [`RATING_DIMENSIONS`] order, 1–5.
    pub rating: Option<[u8; 6]>,
}

impl Application {
    /// When it last moved: the latest time it records.
    pub fn last_event(&self) -> chrono::NaiveDateTime {
        self.steps
            .iter()
            .filter_map(|s| s.done)
            .chain(self.agreement)
            .chain(self.delivered.map(|(at, _)| at))
            .chain(self.steps.iter().map(|s| s.started))
            .fold(self.submitted, std::cmp::max)
    }

    /// Whether it was approved (every review step passed).
    pub fn approved(&self) -> Option<bool> {
        let reviews = || {
            self.steps
                .iter()
                .filter(|s| s.stage != Stage::ObjectionAnswer)
        };
        if reviews().any(|s| s.decision == Some(Decision::Refused)) {
            Some(false)
        } else if reviews()
            .any(|s| s.stage == Stage::Approval && s.decision == Some(Decision::Passed))
        {
            Some(true)
        } else {
            None
        }
    }
}

impl Level {
    /// The level a division code of this length denotes (2, 4, 6, 9 or 12 digits).
    pub fn from_code_length(len: usize) -> Option<Level> {
        match len {
            2 => Some(Level::Region),
            4 => Some(Level::City),
            6 => Some(Level::County),
            9 => Some(Level::Township),
            12 => Some(Level::Village),
            _ => None,
        }
    }
}

impl UpdateFrequency {
    /// How many days may pass between updates before a dataset counts as stale (第二十一条).
    /// `None` for irregular updates, which are never stale.
    pub fn allowed_age_days(self) -> Option<i64> {
        match self {
            UpdateFrequency::Realtime | UpdateFrequency::Daily => Some(3),
            UpdateFrequency::Weekly => Some(14),
            UpdateFrequency::Monthly => Some(45),
            UpdateFrequency::Quarterly => Some(120),
            UpdateFrequency::HalfYearly => Some(220),
            UpdateFrequency::Yearly => Some(400),
            UpdateFrequency::Irregular => None,
        }
    }
}

/// A dataset identifier (数据集标识): a lowercase ASCII slug, unique in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DatasetId(pub String);

/// A department's short code: the name of its folder under `content/departments/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DeptCode(pub String);

/// A Guangxi statistical division code (统计用区划代码), 2 to 12 digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DivisionCode(pub String);

impl std::fmt::Display for DatasetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `text` is a valid slug: lowercase ASCII letters, digits and inner hyphens.
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 80
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// A person to contact (联系人).
#[derive(Debug, Clone, Hash, Default, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Name or role of the contact.
    pub name: String,
    /// Telephone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// What the contact answers for (e.g. 数据开放联络员).
    pub role: Option<String>,
}

/// A department publishing on the platform (第十二条, 第三十二条).
#[derive(Debug, Clone, Hash, Serialize)]
pub struct Department {
    /// Short code; equal to the folder name.
    pub code: DeptCode,
    /// Full name (部门名称).
    pub name: String,
    /// Administrative level.
    pub level: Level,
    /// Administrative division.
    pub region: DivisionCode,
    /// Contact persons (联系人).
    pub contacts: Vec<Contact>,
    /// Responsible officials (分管领导, 数据开放责任人, 技术实施责任人).
    pub officials: Vec<Official>,
    /// Optional description, Markdown.
    pub description: String,
}

/// A responsible official of a department (第三十二条).
#[derive(Debug, Clone, Hash, PartialEq, Eq, Serialize)]
pub struct Official {
    /// The responsibility held (分管领导 / 数据开放责任人 / 技术实施责任人).
    pub duty: String,
    /// Name.
    pub name: String,
    /// Post title.
    pub title: Option<String>,
}

/// One item of a dataset's field table (数据项).
#[derive(Debug, Clone, Hash, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Field name.
    pub name: String,
    /// Data type (e.g. 字符串, 整数, 日期).
    pub kind: Option<String>,
    /// What the field means.
    pub description: Option<String>,
    /// Unit of measure.
    pub unit: Option<String>,
}

/// Where a resource's bytes are.
#[derive(Debug, Clone, Hash, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ResourceLocation {
    /// A file inside the department's folder, copied into the site.
    File {
        /// Path relative to the department folder, with `/` separators.
        relative: String,
        /// Absolute path on disk of the source.
        #[serde(skip)]
        source: PathBuf,
        /// Size in bytes.
        size: u64,
        /// Lowercase hex SHA-256 of the bytes.
        sha256: String,
    },
    /// A resource published elsewhere (http or https).
    Url {
        /// The address.
        url: String,
    },
}

/// A downloadable resource of a dataset (数据资源).
#[derive(Debug, Clone, Hash, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// Title shown on the page.
    pub title: String,
    /// Upper-case format name (CSV, XLSX, JSON, API …).
    pub format: String,
    /// Where the bytes are.
    pub location: ResourceLocation,
}

impl Resource {
    /// Where a file resource is published, relative to its dataset's folder: `files/<name>`.
    /// Names are unique within a dataset (validate checks), so folders in the source need not
    /// show in URLs. `None` for a URL resource.
    pub fn published_path(&self) -> Option<String> {
        match &self.location {
            ResourceLocation::File { relative, .. } => Some(format!(
                "files/{}",
                relative.rsplit('/').next().unwrap_or(relative)
            )),
            ResourceLocation::Url { .. } => None,
        }
    }
}

/// A review the dataset went through (第十七条, 第二十九条).
#[derive(Debug, Clone, Hash, PartialEq, Eq, Serialize)]
pub struct Review {
    /// Which review.
    pub kind: ReviewKind,
    /// Whether it passed.
    pub passed: bool,
    /// When it concluded.
    pub date: NaiveDate,
    /// Who reviewed.
    pub by: Option<String>,
    /// Free-text note (e.g. the source of an imported record).
    pub note: Option<String>,
}

/// A dataset as departments describe it in their open catalog (第十六条).
#[derive(Debug, Clone, Hash, Serialize)]
pub struct Dataset {
    /// Unique id.
    pub id: DatasetId,
    /// Title (数据名称).
    pub title: String,
    /// Summary (数据摘要), Markdown.
    pub summary: String,
    /// Providing department (数据提供方): the folder the record sits in.
    pub department: DeptCode,
    /// Domain (数据领域): a slug of the site's controlled list.
    pub domain: String,
    /// Keywords (关键字).
    pub keywords: Vec<String>,
    /// Administrative level.
    pub level: Level,
    /// Administrative division.
    pub region: DivisionCode,
    /// Open type (开放类型).
    pub open_type: OpenType,
    /// Conditions of opening (开放条件); present exactly when conditional.
    pub open_conditions: Option<String>,
    /// Update frequency (更新频率).
    pub update_frequency: UpdateFrequency,
    /// Field table (数据项).
    pub fields: Vec<Field>,
    /// Resources (数据资源).
    pub resources: Vec<Resource>,
    /// Licence name or URL.
    pub license: Option<String>,
    /// First published (发布日期).
    pub issued: Option<NaiveDate>,
    /// Last modified (更新日期).
    pub modified: Option<NaiveDate>,
    /// Contact for this dataset.
    pub contact: Option<Contact>,
    /// High-value dataset (第四条).
    pub high_value: bool,
    /// Reviews passed or failed.
    pub reviews: Vec<Review>,
    /// Whether the data was de-sensitised (脱敏, 第十六条).
    pub desensitized: Option<bool>,
    /// Publication status.
    pub status: Status,
    /// Where the record came from when imported (a portal page).
    pub source_url: Option<String>,
    /// The record file, relative to the content folder.
    pub record_path: String,
    /// The summary as plain text (for snippets and the search index), set by
    /// [`Dataset::seal`].
    #[serde(skip)]
    pub summary_text: std::sync::Arc<str>,
    /// A hash of everything above, set by [`Dataset::seal`]: pages that show this dataset
    /// are rendered again only when it changes (within one process; never published).
    #[serde(skip)]
    pub digest: u64,
}

impl Dataset {
    /// Sets [`Dataset::digest`] from the dataset's current contents; call after any change.
    pub fn seal(&mut self) {
        use std::hash::{Hash, Hasher};
        self.summary_text = crate::render::markdown::plain_text(&self.summary).into();
        self.digest = 0;
        let mut hasher = std::hash::DefaultHasher::new();
        self.hash(&mut hasher);
        self.digest = hasher.finish();
    }

    /// Whether a security review (安全审查) passed.
    pub fn security_reviewed(&self) -> bool {
        self.reviews
            .iter()
            .any(|r| r.kind == ReviewKind::Security && r.passed)
    }

    /// The date used to sort by recency: modified, else issued.
    pub fn last_change(&self) -> Option<NaiveDate> {
        self.modified.or(self.issued)
    }

    /// Upper-case formats of the resources, sorted and unique.
    pub fn formats(&self) -> Vec<String> {
        let mut formats: Vec<String> = self.resources.iter().map(|r| r.format.clone()).collect();
        formats.sort();
        formats.dedup();
        formats
    }
}

/// The whole valid catalog: every department and every accepted record, public or not.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Departments by code.
    pub departments: BTreeMap<DeptCode, Department>,
    /// Accepted datasets, sorted by id.
    pub datasets: Vec<std::sync::Arc<Dataset>>,
}
