//! [`Annotation`]: the engine applied to a store — projects, members, items, routing, claims,
//! submissions, reviews — with the rules of who may do what. Cheap to clone.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backbeat_store::annotation::*;
use backbeat_store::model::{new_id, now_millis, Id};
use backbeat_store::AnnotationStore;
use serde_json::{json, Value as Json};

use crate::answer::Answers;
use crate::engine::error::{AnnotateError, AnnotateResult};
use crate::engine::flowback::add_flow_back;
use crate::engine::workflow;
use crate::models::{catalog_key, ModelConfig};
use crate::schema::{FieldError, LabelUsage, Schema, Vocabularies, Window};
use crate::settings::Settings;

/// Who asks: a user, and whether they manage every project (admins do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Id,
    pub admin: bool,
}

/// A project to create.
#[derive(Debug, Clone)]
pub struct ProjectInput {
    pub name: String,
    pub description: String,
    pub schema: Json,
    pub settings: Json,
}

/// Items to add: a list, or a catalog selection.
#[derive(Debug, Clone)]
pub enum ItemsInput {
    List(Vec<NewItem>),
    Selection(Box<TrackSelection>),
}

/// A claimed item as its annotator sees it.
#[derive(Debug, Clone)]
pub struct Work {
    pub item: ItemRecord,
    pub lease_until: i64,
    pub returned: bool,
    /// The questions to answer.
    pub questions: Vec<String>,
    /// The models' answers, when the project shows them.
    pub model_answers: Option<Json>,
    /// What QA or an expert sees: the annotators' answers so far.
    pub answers: Vec<AnnotationRecord>,
}

/// The engine over one store.
#[derive(Clone)]
pub struct Annotation {
    store: Arc<dyn AnnotationStore>,
    vocab: Arc<dyn Vocabularies + Send + Sync>,
    gauges: Arc<super::reporting::Gauges>,
    /// Audio URLs for external models' tasks (see [`Annotation::with_audio_urls`]).
    pub(crate) audio_urls: Option<super::routing::AudioUrls>,
    /// When each project's ended leases were last returned (see [`Annotation::claim`]).
    swept: Arc<std::sync::Mutex<HashMap<Id, Instant>>>,
}

/// How often a project's ended leases are returned at most: every claim used to run the
/// expiry, and under 200 concurrent claimers that write was half the database's work.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// A project's schema and settings, read together.
pub(crate) struct Loaded {
    pub(crate) record: ProjectRecord,
    pub(crate) schema: Schema,
    pub(crate) settings: Settings,
}

impl Annotation {
    pub fn new(
        store: Arc<dyn AnnotationStore>,
        vocab: Arc<dyn Vocabularies + Send + Sync>,
    ) -> Self {
        Annotation {
            store,
            vocab,
            gauges: Arc::default(),
            audio_urls: None,
            swept: Arc::default(),
        }
    }

    /// The same engine, handing external models `urls(track)` as each task's audio (the
    /// server signs a stream URL); without it a task names the API's stream route.
    pub fn with_audio_urls(mut self, urls: super::routing::AudioUrls) -> Self {
        self.audio_urls = Some(urls);
        self
    }

    /// Whether the project's ended leases are due to be returned (at most once per
    /// [`SWEEP_EVERY`] per process; each replica sweeps on its own clock, which only makes
    /// returns more timely).
    fn sweep_due(&self, project: Id) -> bool {
        let mut swept = self.swept.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match swept.get(&project) {
            Some(t) if now.duration_since(*t) < SWEEP_EVERY => false,
            _ => {
                swept.insert(project, now);
                true
            }
        }
    }

    pub(crate) fn gauges_state(&self) -> &Arc<super::reporting::Gauges> {
        &self.gauges
    }

    /// The store (for reports that read it directly).
    pub fn store(&self) -> &Arc<dyn AnnotationStore> {
        &self.store
    }

    pub(crate) async fn load(&self, project: Id) -> AnnotateResult<Loaded> {
        let record = self.store.project(project).await?;
        let schema = Schema::parse(&record.schema, &*self.vocab)?;
        let settings = Settings::parse(&record.settings)?;
        Ok(Loaded {
            record,
            schema,
            settings,
        })
    }

    /// The caller's annotator record in a project; `Forbidden` for non-members, `Conflict`
    /// while they are paused.
    pub(crate) async fn membership(
        &self,
        actor: &Actor,
        project: Id,
    ) -> AnnotateResult<AnnotatorRecord> {
        match self.store.member(project, actor.user_id).await {
            Ok(m) => Ok(m),
            Err(backbeat_store::StoreError::NotFound) => {
                Err(AnnotateError::Forbidden("not a member of this project"))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn require_admin(actor: &Actor) -> AnnotateResult<()> {
        if actor.admin {
            Ok(())
        } else {
            Err(AnnotateError::Forbidden(
                "only project managers (admins) may do this",
            ))
        }
    }

    pub async fn create_project(
        &self,
        actor: &Actor,
        input: ProjectInput,
    ) -> AnnotateResult<ProjectRecord> {
        Self::require_admin(actor)?;
        let mut errors = Vec::new();
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            errors.push(FieldError {
                field: "name".into(),
                message: "must have 1 to 200 characters".into(),
            });
        }
        let schema = Schema::parse(&input.schema, &*self.vocab).map_err(|es| {
            es.into_iter()
                .map(|e| FieldError {
                    field: prefix("schema", &e.field),
                    message: e.message,
                })
                .collect::<Vec<_>>()
        });
        let settings = Settings::parse(&input.settings);
        if let (Ok(s), Ok(t)) = (&schema, &settings) {
            errors.extend(t.check_write_back(s));
        }
        let (schema, settings) = match (schema, settings) {
            (Ok(s), Ok(t)) if errors.is_empty() => (s, t),
            (s, t) => {
                errors.extend(s.err().unwrap_or_default());
                errors.extend(t.err().unwrap_or_default());
                return Err(AnnotateError::Invalid(errors));
            }
        };
        let settings_json = serde_json::to_value(&settings).unwrap_or_else(|_| json!({}));
        Ok(self
            .store
            .create_project(NewProject {
                id: new_id(),
                name: name.to_string(),
                description: input.description,
                settings: settings_json,
                schema: schema.to_json(),
                created_by: Some(actor.user_id),
                now: now_millis(),
            })
            .await?)
    }

    /// What annotation projects settled for a track (readable by anyone who may read the
    /// track's analysis).
    pub async fn track_reviews(&self, track: Id) -> AnnotateResult<TrackReviews> {
        Ok(self.store.track_reviews(track).await?)
    }

    /// A project's webhook deliveries, newest first (managers).
    pub async fn deliveries(
        &self,
        actor: &Actor,
        project: Id,
        limit: u32,
    ) -> AnnotateResult<Vec<OutboxRecord>> {
        Self::require_admin(actor)?;
        self.store.project(project).await?;
        Ok(self.store.deliveries(project, limit).await?)
    }

    /// A project, for its managers and members.
    pub async fn project(&self, actor: &Actor, id: Id) -> AnnotateResult<ProjectRecord> {
        if !actor.admin {
            self.membership(actor, id).await?;
        }
        let mut p = self.store.project(id).await?;
        hide_managers_settings(actor, &mut p);
        Ok(p)
    }

    /// Replaces the settings.
    pub async fn set_settings(
        &self,
        actor: &Actor,
        id: Id,
        settings: &Json,
    ) -> AnnotateResult<ProjectRecord> {
        Self::require_admin(actor)?;
        let s = Settings::parse(settings)?;
        let errors = s.check_write_back(&self.load(id).await?.schema);
        if !errors.is_empty() {
            return Err(AnnotateError::Invalid(errors));
        }
        let json = serde_json::to_value(&s).unwrap_or_else(|_| json!({}));
        Ok(self
            .store
            .set_project_settings(id, &json, now_millis())
            .await?)
    }

    /// A new schema version, refused with the labels it would orphan.
    pub async fn change_schema(
        &self,
        actor: &Actor,
        id: Id,
        expected_version: i64,
        schema: &Json,
    ) -> AnnotateResult<ProjectRecord> {
        Self::require_admin(actor)?;
        let old = self.load(id).await?;
        let new = Schema::parse(schema, &*self.vocab).map_err(|es| {
            AnnotateError::Invalid(
                es.into_iter()
                    .map(|e| FieldError {
                        field: prefix("schema", &e.field),
                        message: e.message,
                    })
                    .collect(),
            )
        })?;
        let changes: Vec<String> = new
            .changes(&old.schema)
            .iter()
            .map(|c| c.to_string())
            .collect();
        let mut usage = LabelUsage::default();
        let mut orphans = Vec::new();
        let old_schema = old.schema.clone();
        let mut visit = |answers: Option<&str>| -> backbeat_store::StoreResult<()> {
            match answers {
                Some(text) => {
                    if let Ok(json) = serde_json::from_str::<Json>(text) {
                        usage.add(&old_schema, &old_schema.read_stored(&json));
                    }
                    Ok(())
                }
                None => {
                    orphans = new.orphans(&usage);
                    if orphans.is_empty() {
                        Ok(())
                    } else {
                        Err(backbeat_store::StoreError::Conflict("orphans".into()))
                    }
                }
            }
        };
        let result = self
            .store
            .change_schema(
                id,
                expected_version,
                &new.to_json(),
                &json!(changes),
                &mut visit,
                now_millis(),
            )
            .await;
        match result {
            Ok(p) => Ok(p),
            Err(_) if !orphans.is_empty() => Err(AnnotateError::Orphans(orphans)),
            Err(e) => Err(e.into()),
        }
    }

    /// Adds a person with a role.
    pub async fn add_member(
        &self,
        actor: &Actor,
        project: Id,
        user: Id,
        name: &str,
        role: MemberRole,
    ) -> AnnotateResult<AnnotatorRecord> {
        Self::require_admin(actor)?;
        if role == MemberRole::Model {
            return Err(AnnotateError::Invalid(vec![FieldError {
                field: "role".into(),
                message: "people are annotators, experts or qa".into(),
            }]));
        }
        Ok(self
            .store
            .add_annotator(NewAnnotator {
                id: new_id(),
                project_id: project,
                kind: AnnotatorKind::Human,
                user_id: Some(user),
                role,
                name: name.to_string(),
                config: json!({}),
                now: now_millis(),
            })
            .await?)
    }

    /// Adds a model annotator; its configuration is checked against the schema.
    pub async fn add_model(
        &self,
        actor: &Actor,
        project: Id,
        name: &str,
        config: &Json,
    ) -> AnnotateResult<AnnotatorRecord> {
        Self::require_admin(actor)?;
        let p = self.load(project).await?;
        let parsed: ModelConfig = serde_json::from_value(config.clone())
            .map_err(|e| AnnotateError::Model(e.to_string()))?;
        crate::models::Model::new(&parsed, &p.schema, &project.to_string())
            .map_err(|e| AnnotateError::Model(e.to_string()))?;
        let kind = match parsed {
            ModelConfig::Builtin(_) => AnnotatorKind::Builtin,
            _ => AnnotatorKind::External,
        };
        Ok(self
            .store
            .add_annotator(NewAnnotator {
                id: new_id(),
                project_id: project,
                kind,
                user_id: None,
                role: MemberRole::Model,
                name: name.to_string(),
                config: config.clone(),
                now: now_millis(),
            })
            .await?)
    }

    /// Adds items; they wait for the models when the project has any, else people get them.
    pub async fn add_items(
        &self,
        actor: &Actor,
        project: Id,
        input: &ItemsInput,
    ) -> AnnotateResult<AddedItems> {
        Self::require_admin(actor)?;
        let p = self.load(project).await?;
        let has_models = self
            .store
            .annotators(project)
            .await?
            .iter()
            .any(|a| a.role == MemberRole::Model);
        let start = if has_models {
            ItemStart {
                state: ItemState::New,
                needed: 0,
            }
        } else {
            ItemStart {
                state: ItemState::Open,
                needed: p.settings.overlap,
            }
        };
        let now = now_millis();
        match input {
            ItemsInput::List(items) => {
                let mut errors = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    if it.start_ms < 0 || (it.end_ms != 0 && it.end_ms <= it.start_ms) {
                        errors.push(FieldError {
                            field: format!("items[{i}]"),
                            message: "a window needs 0 <= start < end".into(),
                        });
                    }
                    if let Some(gold) = &it.gold {
                        if let Err(es) = p.schema.parse_answers(gold, Window::unbounded()) {
                            errors.extend(es.into_iter().map(|e| FieldError {
                                field: format!(
                                    "items[{i}].gold{}",
                                    e.field.trim_start_matches("answers")
                                ),
                                message: e.message,
                            }));
                        }
                    }
                }
                if !errors.is_empty() {
                    return Err(AnnotateError::Invalid(errors));
                }
                Ok(self.store.add_items(project, items, start, now).await?)
            }
            ItemsInput::Selection(sel) => {
                if sel.query.is_some() {
                    return Err(AnnotateError::Invalid(vec![FieldError {
                        field: "selection.query".into(),
                        message: "a search query needs the server's search index (POST it to \
                                  /api/v1/annotation/projects/{id}/items), or give trackIds"
                            .into(),
                    }]));
                }
                let mut sel = sel.clone();
                normalise_selection(&mut sel)?;
                Ok(self.store.add_selected(project, &sel, start, now).await?)
            }
        }
    }

    /// The next item for the caller, leased for the project's lease time.
    pub async fn claim(&self, actor: &Actor, project: Id) -> AnnotateResult<Option<Work>> {
        let me = self.membership(actor, project).await?;
        if let Some(reason) = &me.pause_reason {
            return Err(AnnotateError::Conflict(format!(
                "you are paused in this project: {reason}"
            )));
        }
        let p = self.load(project).await?;
        let now = now_millis();
        if self.sweep_due(project) {
            self.store.expire_leases(project, now).await?;
        }
        let stages = match me.role {
            MemberRole::Annotator => vec![ItemState::Open],
            MemberRole::Expert => vec![ItemState::Expert],
            MemberRole::Qa => vec![ItemState::Review],
            MemberRole::Model => return Err(AnnotateError::Forbidden("models do not claim")),
        };
        // Gold items come every `1 / gold_share`-th claim of an annotator, counted from
        // their own history: unseen among the rest, and the same on a replay.
        let gold_first = me.role == MemberRole::Annotator && p.settings.gold_share > 0.0 && {
            let period = (1.0 / p.settings.gold_share).round().max(1.0) as u64;
            self.store.held_count(me.id).await? % period == period - 1
        };
        let claim = Claim {
            project_id: project,
            annotator_id: me.id,
            stages,
            gold_first,
            now,
            lease_until: now + p.settings.lease_seconds * 1000,
        };
        let Some(got) = self.store.claim(&claim).await? else {
            return Ok(None);
        };
        self.work(&p, &me, got).await.map(Some)
    }

    async fn work(
        &self,
        p: &Loaded,
        me: &AnnotatorRecord,
        got: ClaimedItem,
    ) -> AnnotateResult<Work> {
        let item = got.item;
        let all = self.store.annotations(item.id).await?;
        let questions: Vec<String> = match item.state {
            ItemState::Review | ItemState::Gold => {
                p.schema.questions.iter().map(|q| q.name.clone()).collect()
            }
            _ => workflow::open_questions(&p.schema, &item)
                .into_iter()
                .map(str::to_string)
                .collect(),
        };
        let model_answers = (!p.settings.hide_model_answers || me.role != MemberRole::Annotator)
            .then(|| {
                all.iter()
                    .filter(|a| a.stage == Stage::Model)
                    .map(|a| json!({"annotatorId": a.annotator_id, "answers": a.answers, "confidence": a.confidence, "modelVersion": a.model_version}))
                    .collect::<Vec<_>>()
            })
            .map(Json::from);
        // Experts and QA decide from what people answered; annotators never see it.
        let answers = if matches!(me.role, MemberRole::Expert | MemberRole::Qa)
            && matches!(item.state, ItemState::Expert | ItemState::Review)
        {
            all.into_iter()
                .filter(|a| matches!(a.stage, Stage::Open | Stage::Expert))
                .collect()
        } else {
            Vec::new()
        };
        let gold_hidden = ItemRecord { gold: None, ..item };
        Ok(Work {
            item: gold_hidden,
            lease_until: got.lease_until,
            returned: got.returned,
            questions,
            model_answers: if item_has_model(&model_answers) {
                model_answers
            } else {
                None
            },
            answers,
        })
    }

    /// Stores the caller's answer to the item they hold and moves the item on.
    pub async fn submit(
        &self,
        actor: &Actor,
        item_id: i64,
        answers: &Json,
        lead_ms: Option<i64>,
        verdict: Option<(Verdict, Option<String>)>,
    ) -> AnnotateResult<Submitted> {
        let item = self.store.item(item_id).await?;
        let me = self.membership(actor, item.project_id).await?;
        let p = self.load(item.project_id).await?;
        let window = item_window(&item);
        let asked: Vec<&str> = match item.state {
            ItemState::Review | ItemState::Gold => {
                p.schema.questions.iter().map(|q| q.name.as_str()).collect()
            }
            _ => workflow::open_questions(&p.schema, &item),
        };
        // People answer the questions they were asked; QA accepting or rejecting answers none.
        let answers = match &verdict {
            Some((Verdict::Accept | Verdict::Reject, _)) => json!({}),
            _ => {
                let subset = subset_schema(&p.schema, &asked);
                let typed = subset.parse_answers(answers, window)?;
                answers_json(&typed)
            }
        };
        if verdict.is_some() && me.role != MemberRole::Qa {
            return Err(AnnotateError::Forbidden("only QA gives verdicts"));
        }
        if me.role == MemberRole::Qa && verdict.is_none() && item.state == ItemState::Review {
            return Err(AnnotateError::Invalid(vec![FieldError {
                field: "verdict".into(),
                message: "QA answers with accept, fix or reject".into(),
            }]));
        }
        let (v, comment) = verdict.map_or((None, None), |(v, c)| (Some(v), c));
        let submission = Submission {
            item_id,
            annotation: NewAnnotation {
                annotator_id: me.id,
                stage: Stage::Open,
                answers,
                confidence: None,
                model_version: None,
                derived_from: None,
                lead_ms,
                schema_version: p.record.schema_version,
                verdict: v,
                comment,
                now: now_millis(),
            },
        };
        let schema = p.schema.clone();
        let settings = p.settings.clone();
        let decide = move |item: &ItemRecord, round: &[AnnotationRecord]| {
            let now = now_millis();
            let mut change = workflow::decide(&schema, &settings, item, round, now)?;
            add_flow_back(&schema, &settings, item, &mut change, now);
            Some(change)
        };
        let done = self.store.submit(&submission, &decide).await?;
        if item.state == ItemState::Gold {
            self.judge_gold(&p, &me).await?;
        }
        // The answer to a spot check measured the model: its thresholds may move.
        if item.spot_check && item.state == ItemState::Open {
            self.tune_thresholds(&p).await?;
        }
        Ok(done)
    }

    /// After a gold answer: the annotator's accuracy on gold, and a pause below the bar.
    async fn judge_gold(&self, p: &Loaded, me: &AnnotatorRecord) -> AnnotateResult<()> {
        let accuracy = self.gold_accuracy(p, me.id).await?;
        let Some((acc, n)) = accuracy else {
            return Ok(());
        };
        if n >= p.settings.gold_min_answers
            && acc < p.settings.gold_pause_below
            && me.paused_at.is_none()
        {
            let reason = format!(
                "gold accuracy {acc:.2} over {n} answers is below {:.2}",
                p.settings.gold_pause_below
            );
            self.store
                .set_paused(me.id, Some((now_millis(), reason.clone())))
                .await?;
            self.store
                .log_event(&NewEvent {
                    project_id: p.record.id,
                    item_id: None,
                    kind: "paused".into(),
                    detail: json!({"annotatorId": me.id, "reason": reason}),
                    now: now_millis(),
                })
                .await?;
        }
        Ok(())
    }

    /// An annotator's mean agreement with the gold answers they met, and how many: per gold
    /// item, the mean over its scored questions of the agreement between answer and gold.
    async fn gold_accuracy(&self, p: &Loaded, annotator: Id) -> AnnotateResult<Option<(f64, u64)>> {
        let pairs = self.store.gold_answers(annotator).await?;
        let mut sum = 0.0;
        let mut n = 0u64;
        for (answer, gold) in &pairs {
            let answer = p.schema.read_stored(answer);
            let gold = p.schema.read_stored(gold);
            let scores: Vec<f64> = p
                .schema
                .questions
                .iter()
                .filter_map(|q| {
                    let (a, g) = (answer.get(&q.name)?, gold.get(&q.name)?);
                    crate::agreement::value_agreement(&q.kind, a, g)
                })
                .collect();
            if !scores.is_empty() {
                sum += scores.iter().sum::<f64>() / scores.len() as f64;
                n += 1;
            }
        }
        Ok((n > 0).then(|| (sum / n as f64, n)))
    }
}

/// An item's span of its track in seconds (`end_ms` 0: to the end of the track).
pub(crate) fn item_window(item: &ItemRecord) -> Window {
    let start = item.start_ms as f64 / 1000.0;
    let end = if item.end_ms == 0 {
        f64::INFINITY
    } else {
        item.end_ms as f64 / 1000.0
    };
    Window { start, end }
}

fn item_has_model(v: &Option<Json>) -> bool {
    matches!(v, Some(Json::Array(a)) if !a.is_empty())
}

/// The schema restricted to some questions (what people are asked on an item).
fn subset_schema(schema: &Schema, names: &[&str]) -> Schema {
    Schema {
        questions: schema
            .questions
            .iter()
            .filter(|q| names.contains(&q.name.as_str()))
            .cloned()
            .collect(),
    }
}

/// Members see the project's settings without its webhook (an endpoint, and a secret that
/// signs deliveries, are the managers' business).
pub(crate) fn hide_managers_settings(actor: &Actor, p: &mut ProjectRecord) {
    if !actor.admin {
        if let Some(settings) = p.settings.as_object_mut() {
            settings.remove("webhook");
        }
    }
}

/// Typed answers as stored.
pub fn answers_json(a: &Answers) -> Json {
    Json::Object(
        a.iter()
            .map(|(k, v)| (k.clone(), workflow::to_json(v)))
            .collect(),
    )
}

fn prefix(root: &str, field: &str) -> String {
    if field.is_empty() {
        root.to_string()
    } else {
        format!("{root}.{field}")
    }
}

/// Checks a catalog selection's values and writes its key as the catalog spells keys (a
/// client may write `"d# minor"` or `"Ebm"`); errors name the field under `selection.`.
pub fn normalise_selection(sel: &mut TrackSelection) -> AnnotateResult<()> {
    let mut errors = Vec::new();
    let mut check_range = |field: &str, r: &Option<Range>| {
        if let Some(r) = r {
            let bad = [r.min, r.max].iter().flatten().any(|v| !v.is_finite());
            let reversed = matches!((r.min, r.max), (Some(a), Some(b)) if a > b);
            if bad || reversed {
                errors.push(FieldError {
                    field: format!("selection.{field}"),
                    message: "must be finite numbers with min <= max".into(),
                });
            }
        }
    };
    check_range("bpm", &sel.bpm);
    check_range("tempoConfidence", &sel.tempo_confidence);
    check_range("tag.confidence", &sel.tag.as_ref().map(|t| t.confidence));
    if let Some(key) = sel.key.as_mut() {
        match catalog_key(key) {
            Some(k) => *key = k,
            None => errors.push(FieldError {
                field: "selection.key".into(),
                message: "must be a key such as \"F# minor\" or \"Eb major\"".into(),
            }),
        }
    }
    // Tag names go to SQL as text (see `is_tag_name`).
    let names = [
        ("tag", sel.tag.as_ref().map(|t| (&t.group, &t.tag))),
        ("tagged", sel.tagged.as_ref().map(|t| (&t.group, &t.tag))),
        (
            "reviewedTag",
            sel.reviewed_tag.as_ref().map(|t| (&t.group, &t.tag)),
        ),
    ];
    for (field, name) in names {
        if let Some((group, tag)) = name {
            if ![group, tag].iter().all(|s| is_tag_name(s)) {
                errors.push(FieldError {
                    field: format!("selection.{field}"),
                    message: "group and tag must be non-empty, without control characters".into(),
                });
            }
        }
    }
    if let Some(t) = &sel.tagged {
        if !(0.0..=1.0).contains(&t.min_confidence) {
            errors.push(FieldError {
                field: "selection.tagged.minConfidence".into(),
                message: "must be between 0 and 1".into(),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AnnotateError::Invalid(errors))
    }
}

/// A tag or group name a filter may carry: non-empty (the store marks a group reviewed with
/// no tag by the empty tag) and free of control characters (PostgreSQL refuses a NUL in text).
pub fn is_tag_name(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(char::is_control)
}
