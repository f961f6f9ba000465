//! [`Annotation`]: the engine applied to a store — projects, members, items, routing, claims,
//! submissions, reviews — with the rules of who may do what. Cheap to clone.

use std::collections::BTreeMap;
use std::sync::Arc;

use backbeat_store::annotation::*;
use backbeat_store::model::{new_id, now_millis, Id};
use backbeat_store::AnnotationStore;
use serde_json::{json, Value as Json};

use crate::answer::Answers;
use crate::engine::error::{AnnotateError, AnnotateResult};
use crate::engine::workflow::{self, ModelAnswer};
use crate::models::{BuiltinModel, ModelConfig, StoredOutputs, StoredTag};
use crate::schema::{FieldError, LabelUsage, Schema, Vocabularies, Window};
use crate::settings::{purpose, Settings};

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
    Selection(TrackSelection),
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
}

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
        Annotation { store, vocab }
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

    /// A project, for its managers and members.
    pub async fn project(&self, actor: &Actor, id: Id) -> AnnotateResult<ProjectRecord> {
        if !actor.admin {
            self.membership(actor, id).await?;
        }
        Ok(self.store.project(id).await?)
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
                Ok(self.store.add_selected(project, sel, start, now).await?)
            }
        }
    }

    /// Routes up to `limit` new items with the project's built-in models; how many.
    pub async fn route_pending(&self, project: Id, limit: u32) -> AnnotateResult<u64> {
        let p = self.load(project).await?;
        let models: Vec<(AnnotatorRecord, BuiltinModel)> = self
            .store
            .annotators(project)
            .await?
            .into_iter()
            .filter(|a| a.kind == AnnotatorKind::Builtin && a.paused_at.is_none())
            .filter_map(|a| {
                let cfg: ModelConfig = serde_json::from_value(a.config.clone()).ok()?;
                match cfg {
                    ModelConfig::Builtin(b) => {
                        BuiltinModel::new(&b, &p.schema).ok().map(|m| (a, m))
                    }
                    _ => None,
                }
            })
            .collect();
        let now = now_millis();
        let inputs = self
            .store
            .take_for_routing(project, limit, now, now + 60_000)
            .await?;
        let mut routes = Vec::with_capacity(inputs.len());
        for input in &inputs {
            let stored = StoredOutputs::from_analysis_json(
                input.bpm,
                input.key.as_deref(),
                input.analysis.as_ref().unwrap_or(&Json::Null),
                input
                    .tags
                    .iter()
                    .map(|(group, tag, confidence)| StoredTag {
                        group: group.clone(),
                        tag: tag.clone(),
                        confidence: *confidence,
                    })
                    .collect(),
                input.item.updated_at,
            );
            let mut best: BTreeMap<String, ModelAnswer> = BTreeMap::new();
            let mut annotations = Vec::new();
            for (annotator, model) in &models {
                let pred = model.predict(&stored);
                for (q, v) in &pred.answers {
                    let c = pred.confidence.get(q).copied().unwrap_or(0.0);
                    if best.get(q).is_none_or(|b| c > b.confidence) {
                        best.insert(
                            q.clone(),
                            ModelAnswer {
                                value: v.clone(),
                                confidence: c,
                            },
                        );
                    }
                }
                annotations.push(NewAnnotation {
                    annotator_id: annotator.id,
                    stage: Stage::Model,
                    answers: answers_json(&pred.answers),
                    confidence: Some(json!(pred.confidence)),
                    model_version: Some(pred.model_version.clone()),
                    derived_from: Some(pred.derived_from.clone()),
                    lead_ms: None,
                    schema_version: p.record.schema_version,
                    verdict: None,
                    comment: None,
                    now,
                });
            }
            let change = workflow::route(&p.schema, &p.settings, &input.item, &best, now);
            routes.push(Routed {
                item_id: input.item.id,
                annotations,
                change,
            });
        }
        Ok(self.store.route(&routes, now).await?)
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
        self.store.expire_leases(project, now).await?;
        let stages = match me.role {
            MemberRole::Annotator => vec![ItemState::Open],
            MemberRole::Expert => vec![ItemState::Expert, ItemState::Open],
            MemberRole::Qa => vec![ItemState::Review],
            MemberRole::Model => return Err(AnnotateError::Forbidden("models do not claim")),
        };
        // Gold is drawn per claim: about `gold_share` of an annotator's stream.
        let draw = p
            .settings
            .draw(purpose::GOLD, (now / 7) ^ (me.id.as_u128() as i64), 0);
        let claim = Claim {
            project_id: project,
            annotator_id: me.id,
            stages,
            gold_first: me.role == MemberRole::Annotator && draw < p.settings.gold_share,
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
        let window = self.window(&item);
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
            workflow::decide(&schema, &settings, item, round, now_millis())
        };
        let done = self.store.submit(&submission, &decide).await?;
        if item.state == ItemState::Gold {
            self.judge_gold(&p, &me).await?;
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

    fn window(&self, item: &ItemRecord) -> Window {
        let start = item.start_ms as f64 / 1000.0;
        let end = if item.end_ms == 0 {
            f64::INFINITY
        } else {
            item.end_ms as f64 / 1000.0
        };
        Window { start, end }
    }
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
