"""Every visible string of the web app, in English and French, in one table (key -> {"en", "fr"}).

Use :func:`t` to look a key up; ``str.format`` fields are filled from keyword arguments. French medical
vocabulary follows French radiology usage (radiographie thoracique, pneumopathie, carte de saillance,
marqueur de latéralité, apprentissage par raccourci).
"""

from __future__ import annotations

import re
import string

LANGS = ("en", "fr")
NBSP = "\u00a0"  # French typography: a non-breaking space before : ; ? ! % » and after «

TEXT: dict[str, dict[str, str]] = {
    # ------------------------------------------------------------------ page
    "app.title": {"en": "Reading saliency maps critically", "fr": "Lire les cartes de saillance avec esprit critique"},
    "app.subtitle": {
        "en": "Chest X-ray classifiers, their saliency maps, and the shortcuts they can learn. "
              "A teaching tool: not for diagnosis.",
        "fr": "Des classifieurs de radiographies thoraciques, leurs cartes de saillance et les raccourcis "
              "qu'ils peuvent apprendre. Outil pédagogique : pas d'usage diagnostique.",
    },
    "app.language": {"en": "Language / Langue", "fr": "Langue / Language"},
    "app.lecture": {"en": "Lecture mode (large type, case deck)", "fr": "Mode cours (grands caractères, diaporama)"},
    "app.status_ready": {"en": "Ready.", "fr": "Prêt."},
    "tab.explore": {"en": "1 · Explore", "fr": "1 · Explorer"},
    "tab.shortcut": {"en": "2 · Shortcuts", "fr": "2 · Raccourcis"},
    "tab.sanity": {"en": "3 · Sanity check", "fr": "3 · Cohérence"},
    "tab.train": {"en": "4 · Train", "fr": "4 · Entraîner"},
    "tab.quiz": {"en": "5 · Quiz", "fr": "5 · Quiz"},
    "tab.about": {"en": "6 · About", "fr": "6 · À propos"},
    # ------------------------------------------------------------------ cases and upload
    "cases.gallery": {"en": "Teaching cases (click one)", "fr": "Cas pédagogiques (cliquez sur un cas)"},
    "cases.none": {
        "en": "**The teaching cases are missing** (`sample_images/cases/`). Restore them with "
              "`git checkout sample_images`, or rebuild them from the public data with "
              "`python -m xai_demo.samples build --from <data folder>`. Meanwhile, upload your own image below.",
        "fr": "**Les cas pédagogiques sont absents** (`sample_images/cases/`). Restaurez-les avec "
              "`git checkout sample_images`, ou reconstruisez-les à partir des données publiques avec "
              "`python -m xai_demo.samples build --from <dossier de données>`. En attendant, téléversez votre "
              "propre image ci-dessous.",
    },
    "cases.upload": {"en": "…or upload a chest X-ray (PNG, JPEG, BMP, TIFF, WebP)",
                     "fr": "…ou téléversez une radiographie thoracique (PNG, JPEG, BMP, TIFF, WebP)"},
    "cases.drop": {"en": "Drop an image here, or click to choose one",
                   "fr": "Déposez une image ici, ou cliquez pour en choisir une"},
    "cases.prev": {"en": "◀ Previous case", "fr": "◀ Cas précédent"},
    "cases.next": {"en": "Next case ▶", "fr": "Cas suivant ▶"},
    "cases.current": {"en": "**Case:** {title}. {note}", "fr": "**Cas :** {title}. {note}"},
    "cases.uploaded": {"en": "**Your image** ({w}×{h} px). It is not stored: it lives only in this page.",
                       "fr": "**Votre image** ({w}×{h} px). Elle n'est pas conservée : elle n'existe que dans "
                             "cette page."},
    "cases.user_file": {"en": "Image from the sample_images folder", "fr": "Image du dossier sample_images"},
    "error.upload": {"en": "This file could not be used: {error}.", "fr": "Ce fichier est inutilisable : {error}."},
    "error.no_image": {"en": "Pick a case or upload an image first.",
                       "fr": "Choisissez d'abord un cas ou téléversez une image."},
    "error.no_model": {
        "en": "No model found in {folder}. Train one with `xai-demo train --data pneumoniamnist --size 28 "
              "--epochs 3 --out models/pneumoniamnist_28.pt`, or use the “Train” tab.",
        "fr": "Aucun modèle dans {folder}. Entraînez-en un avec `xai-demo train --data pneumoniamnist --size 28 "
              "--epochs 3 --out models/pneumoniamnist_28.pt`, ou utilisez l'onglet « Entraîner ».",
    },
    "error.generic": {"en": "Something went wrong: {error}", "fr": "Un problème est survenu : {error}"},
    # ------------------------------------------------------------------ explore
    "explore.intro": {
        "en": "Pick a case, a model and one or more methods. Each map shows where the method finds evidence "
              "**for the predicted class**. Then draw on the image where *you* think the finding (or a marker) is "
              "and measure how much of each map falls inside.",
        "fr": "Choisissez un cas, un modèle et une ou plusieurs méthodes. Chaque carte montre où la méthode "
              "trouve des arguments **en faveur de la classe prédite**. Dessinez ensuite sur l'image l'endroit où "
              "*vous* situez l'anomalie (ou un marqueur) et mesurez la part de chaque carte qui s'y trouve.",
    },
    "explore.model": {"en": "Model", "fr": "Modèle"},
    "explore.methods": {"en": "Saliency methods", "fr": "Méthodes de saillance"},
    "explore.target": {"en": "Explained class", "fr": "Classe expliquée"},
    "explore.target_info": {"en": "The maps show the evidence for this class",
                            "fr": "Les cartes montrent les indices en faveur de cette classe"},
    "explore.target_predicted": {"en": "the predicted class", "fr": "la classe prédite"},
    "explore.methods_info": {"en": "Slow: Occlusion, KernelSHAP, Integrated Gradients (1–3 s each)",
                             "fr": "Lentes : Occlusion, KernelSHAP, Gradients intégrés (1 à 3 s chacune)"},
    "explore.slow": {"en": "slow", "fr": "lent"},
    "explore.alpha": {"en": "Map opacity", "fr": "Opacité de la carte"},
    "explore.mode": {"en": "What the colours show", "fr": "Ce que montrent les couleurs"},
    "mode.positive": {"en": "Evidence for the class", "fr": "Arguments pour la classe"},
    "mode.absolute": {"en": "Evidence either way", "fr": "Arguments dans les deux sens"},
    "mode.signed": {"en": "For (red) and against (blue)", "fr": "Pour (rouge) et contre (bleu)"},
    "explore.run": {"en": "Explain", "fr": "Expliquer"},
    "explore.prediction": {"en": "Prediction", "fr": "Prédiction"},
    "explore.draw": {"en": "Draw your region", "fr": "Dessinez votre région"},
    "explore.measure": {"en": "Measure the share in my region", "fr": "Mesurer la part dans ma région"},
    "explore.draw_help": {
        "en": "Paint with the brush on the image where you think the finding (or a marker) is, then press the "
              "button: you get the share of each map's positive evidence inside your region.",
        "fr": "Peignez au pinceau sur l'image l'endroit où vous situez l'anomalie (ou un marqueur), puis cliquez "
              "sur le bouton : vous obtenez la part des arguments positifs de chaque carte dans votre région.",
    },
    "explore.no_region": {"en": "Draw a region on the image first (brush tool).",
                          "fr": "Dessinez d'abord une région sur l'image (outil pinceau)."},
    "explore.share_head": {
        "en": "Your region covers **{area:.0%}** of the image. Share of the positive evidence inside it:",
        "fr": "Votre région couvre **{area:.0%}** de l'image. Part des arguments positifs qui s'y trouve :",
    },
    "explore.share_row": {"en": "- **{method}**: {share:.0%} ({ratio:.1f}× what its area alone would give)",
                          "fr": "- **{method}** : {share:.0%} ({ratio:.1f}× ce que sa seule surface donnerait)"},
    "explore.pred_line": {
        "en": "**{model}** predicts **{label}** (P(pneumonia) = {p:.2f}, decision threshold {thr:.2f}).",
        "fr": "**{model}** prédit **{label}** (P(pneumopathie) = {p:.2f}, seuil de décision {thr:.2f}).",
    },
    "explore.maps_label": {"en": "Saliency maps: evidence for the predicted class",
                           "fr": "Cartes de saillance : arguments pour la classe prédite"},
    "explore.cached": {"en": "Precomputed (from the cache).", "fr": "Précalculé (depuis le cache)."},
    "explore.time": {"en": "Computed in {ms:.0f} ms.", "fr": "Calculé en {ms:.0f} ms."},
    "class.NORMAL": {"en": "normal", "fr": "normal"},
    "class.PNEUMONIA": {"en": "pneumonia", "fr": "pneumopathie"},
    "class.normal": {"en": "normal", "fr": "normal"},
    "class.pneumonia": {"en": "pneumonia", "fr": "pneumopathie"},
    # ------------------------------------------------------------------ models
    "model.clean": {"en": "trained without the artefact", "fr": "entraîné sans l'artefact"},
    "model.shortcut": {"en": "shortcut: {artefact}", "fr": "raccourci : {artefact}"},
    "model.label": {"en": "{dataset} {size} px, {kind}", "fr": "{dataset} {size} px, {kind}"},
    "model.user": {"en": "Your model #{n}: {desc}", "fr": "Votre modèle n°{n} : {desc}"},
    # ------------------------------------------------------------------ shortcut lab
    "shortcut.intro": {
        "en": "The **same image** goes through a model trained on clean films and a model trained where a "
              "marker came with pneumonia in most or all training images. Add, move or remove the marker and "
              "watch both predictions and maps.",
        "fr": "La **même image** passe par un modèle entraîné sur des clichés propres et par un modèle entraîné "
              "sur des images où un marqueur accompagnait la pneumopathie presque toujours ou toujours. Ajoutez, "
              "déplacez ou retirez le marqueur et observez les deux prédictions et les cartes.",
    },
    "shortcut.pair": {"en": "Model pair", "fr": "Paire de modèles"},
    "shortcut.no_pair": {
        "en": "No pair of models (trained without / with the artefact) in the models folder. Train one with "
              "`xai-demo train ... --artefact laterality_marker --artefact-option text=L --confound 0.9`, or use the "
              "“Train” tab.",
        "fr": "Pas de paire de modèles (entraînés sans / avec l'artefact) dans le dossier des modèles. "
              "Entraînez-en une avec `xai-demo train ... --artefact laterality_marker --artefact-option text=L "
              "--confound 0.9`, ou utilisez l'onglet « Entraîner ».",
    },
    "shortcut.add": {"en": "Add the artefact", "fr": "Ajouter l'artefact"},
    "shortcut.artefact": {"en": "Artefact", "fr": "Artefact"},
    "shortcut.position": {"en": "Where", "fr": "Position"},
    "shortcut.scale": {"en": "Size (% of the image side)", "fr": "Taille (% du côté de l'image)"},
    "shortcut.method": {"en": "Method", "fr": "Méthode"},
    "shortcut.run": {"en": "Compare the two models", "fr": "Comparer les deux modèles"},
    "shortcut.clean_model": {"en": "Model trained without the artefact", "fr": "Modèle entraîné sans l'artefact"},
    "shortcut.shortcut_model": {"en": "Model trained with the artefact (shortcut)",
                                "fr": "Modèle entraîné avec l'artefact (raccourci)"},
    "shortcut.result": {
        "en": "**{model}**: {label}, P(pneumonia) = {p:.2f}{share}",
        "fr": "**{model}** : {label}, P(pneumopathie) = {p:.2f}{share}",
    },
    "shortcut.share": {"en": "; {share:.0%} of its positive evidence on the artefact ({area:.1%} of the image)",
                       "fr": " ; {share:.0%} de ses arguments positifs sur l'artefact ({area:.1%} de l'image)"},
    "shortcut.table_title": {"en": "Test set, three conditions", "fr": "Jeu de test, trois conditions"},
    "shortcut.table_compute": {"en": "Measure on test images (≈10–60 s, then cached)",
                               "fr": "Mesurer sur des images de test (≈10 à 60 s, puis en cache)"},
    "shortcut.table_missing": {"en": "The test-set table is not computed yet.",
                               "fr": "Le tableau du jeu de test n'est pas encore calculé."},
    "shortcut.table_head": {
        "en": "| test condition | without artefact: AUC | without artefact: accuracy | shortcut: AUC | "
              "shortcut: accuracy |",
        "fr": "| condition de test | sans artefact : AUC | sans artefact : exactitude | raccourci : AUC | "
              "raccourci : exactitude |",
    },
    "shortcut.table_source": {"en": "Source: {source}, {n} test images.",
                              "fr": "Source : {source}, {n} images de test."},
    "shortcut.table_stored": {"en": "measured on the whole test split and stored in `{file}`",
                              "fr": "mesuré sur tout le jeu de test et conservé dans `{file}`"},
    "cond.none": {"en": "none (no artefact)", "fr": "aucun (pas d'artefact)"},
    "cond.aligned": {"en": "aligned (artefact on pneumonia only)", "fr": "aligné (artefact sur pneumopathies seules)"},
    "cond.swapped": {"en": "swapped (artefact on normals only)", "fr": "inversé (artefact sur normaux seuls)"},
    "shortcut.refs": {
        "en": "**Why it matters.** Zech et al. (PLOS Med 2018) showed chest X-ray networks identifying the hospital "
              "from laterality markers and text, and losing accuracy on other hospitals' films. DeGrave et al. "
              "(Nat Mach Intell 2021) found COVID-19 detectors relying on markers and borders rather than lungs. "
              "Winkler et al. (JAMA Dermatol 2019) showed surgical skin markings raising a melanoma classifier's "
              "scores. A map that lights up the marker is a warning; a map on the lungs is *not* proof of a "
              "sound model.",
        "fr": "**Pourquoi c'est important.** Zech et al. (PLOS Med 2018) ont montré que des réseaux de "
              "radiographie thoracique reconnaissaient l'hôpital grâce aux marqueurs de latéralité et au texte, "
              "et perdaient en exactitude sur les clichés d'autres hôpitaux. DeGrave et al. (Nat Mach Intell "
              "2021) ont trouvé des détecteurs de COVID-19 s'appuyant sur les marqueurs et les bords plutôt que "
              "sur les poumons. Winkler et al. (JAMA Dermatol 2019) ont montré que les marquages chirurgicaux de "
              "la peau augmentaient les scores d'un classifieur de mélanome. Une carte qui éclaire le marqueur "
              "est une alerte ; une carte sur les poumons n'est *pas* la preuve d'un modèle fiable.",
    },
    "pos.top_left": {"en": "top left", "fr": "en haut à gauche"},
    "pos.top_right": {"en": "top right", "fr": "en haut à droite"},
    "pos.bottom_left": {"en": "bottom left", "fr": "en bas à gauche"},
    "pos.bottom_right": {"en": "bottom right", "fr": "en bas à droite"},
    "pos.top": {"en": "top", "fr": "en haut"},
    "pos.bottom": {"en": "bottom", "fr": "en bas"},
    "pos.left": {"en": "left", "fr": "à gauche"},
    "pos.right": {"en": "right", "fr": "à droite"},
    "pos.center": {"en": "centre (over the lungs)", "fr": "au centre (sur les poumons)"},
    "art.laterality_marker": {"en": "Laterality marker (L/R)", "fr": "Marqueur de latéralité (G/D, L/R)"},
    "art.text_token": {"en": "Text token (PORTABLE)", "fr": "Mention texte (PORTABLE)"},
    "art.timestamp": {"en": "Timestamp", "fr": "Horodatage"},
    "art.ruler": {"en": "Ruler", "fr": "Règle graduée"},
    "art.ecg_electrode": {"en": "ECG electrode", "fr": "Électrode d'ECG"},
    "art.pen_mark": {"en": "Pen mark", "fr": "Marque au feutre"},
    "art.dark_corner": {"en": "Dark corner", "fr": "Coin sombre"},
    "art.patch": {"en": "Plain patch", "fr": "Pastille uniforme"},
    "art.none": {"en": "none", "fr": "aucun"},
    # ------------------------------------------------------------------ sanity
    "sanity.intro": {
        "en": "Adebayo et al. (NeurIPS 2018): re-initialise the model's layers one by one, from the output "
              "down. A method that still draws the same convincing map for a **destroyed** model is showing "
              "the image (edges), not what the model learned.",
        "fr": "Adebayo et al. (NeurIPS 2018) : on ré-initialise les couches du modèle une à une, de la sortie "
              "vers l'entrée. Une méthode qui dessine encore la même carte convaincante pour un modèle "
              "**détruit** montre l'image (les contours), pas ce que le modèle a appris.",
    },
    "sanity.model": {"en": "Model", "fr": "Modèle"},
    "sanity.methods": {"en": "Methods", "fr": "Méthodes"},
    "sanity.run": {"en": "Run the randomisation", "fr": "Lancer la randomisation"},
    "sanity.stage": {"en": "Layers randomised (0 = trained model)",
                     "fr": "Couches randomisées (0 = modèle entraîné)"},
    "sanity.maps": {"en": "Maps (absolute evidence): trained model vs randomised",
                    "fr": "Cartes (arguments en valeur absolue) : modèle entraîné vs randomisé"},
    "sanity.stage_line": {"en": "Randomised so far: **{stages}**.", "fr": "Déjà randomisé : **{stages}**."},
    "sanity.none": {"en": "nothing (trained model)", "fr": "rien (modèle entraîné)"},
    "sanity.row": {
        "en": "- **{method}**: similarity to the trained map {rho:.2f} (Spearman). {verdict}",
        "fr": "- **{method}** : similarité avec la carte du modèle entraîné {rho:.2f} (Spearman). {verdict}",
    },
    "sanity.pass": {"en": "Changes with the model: passes.", "fr": "Change avec le modèle : test réussi."},
    "sanity.fail": {"en": "Barely changes: it is not explaining the model!",
                    "fr": "Change à peine : elle n'explique pas le modèle !"},
    "sanity.col_trained": {"en": "trained model", "fr": "modèle entraîné"},
    "sanity.col_random": {"en": "randomised: {stage}", "fr": "randomisé : {stage}"},
    # ------------------------------------------------------------------ train
    "train.intro": {
        "en": "Plant a shortcut yourself: choose an artefact and how often it comes with pneumonia in the "
              "training images, train a small network (well under a minute), then explore it. Your model is "
              "visible to you only and disappears when you close the page.",
        "fr": "Implantez vous-même un raccourci : choisissez un artefact et la fréquence à laquelle il "
              "accompagne la pneumopathie dans les images d'entraînement, entraînez un petit réseau (bien moins "
              "d'une minute), puis explorez-le. Votre modèle n'est visible que par vous et disparaît à la "
              "fermeture de la page.",
    },
    "train.data": {"en": "Training data", "fr": "Données d'entraînement"},
    "train.artefact": {"en": "Artefact", "fr": "Artefact"},
    "train.confound": {"en": "Artefact on pneumonia images (%)", "fr": "Artefact sur les images de pneumopathie (%)"},
    "train.confound_neg": {"en": "Artefact on normal images (%)", "fr": "Artefact sur les images normales (%)"},
    "train.epochs": {"en": "Epochs", "fr": "Époques"},
    "train.limit": {"en": "Training images (at most)", "fr": "Images d'entraînement (au plus)"},
    "train.run": {"en": "Train", "fr": "Entraîner"},
    "train.no_data": {
        "en": "Training needs data, and the embedded bundles (`sample_images/bundles/`) are missing: restore them "
              "with `git checkout sample_images`, or set `XAI_DEMO_DATA` to a folder holding "
              "`medmnist/pneumoniamnist.npz` or `kermany_cxr_224/`.",
        "fr": "L'entraînement nécessite des données, et les lots embarqués (`sample_images/bundles/`) sont "
              "absents : restaurez-les avec `git checkout sample_images`, ou faites pointer `XAI_DEMO_DATA` vers "
              "un dossier contenant `medmnist/pneumoniamnist.npz` ou `kermany_cxr_224/`.",
    },
    "train.progress": {"en": "Training", "fr": "Entraînement"},
    "train.done": {
        "en": "**Done in {seconds:.0f} s.** Test AUC {auc:.3f}, accuracy {acc:.1%}, sensitivity {sens:.1%}, "
              "specificity {spec:.1%}. “{name}” is now in the model lists of the Explore and Sanity check tabs "
              "(for you only).",
        "fr": "**Terminé en {seconds:.0f} s.** AUC de test {auc:.3f}, exactitude {acc:.1%}, sensibilité "
              "{sens:.1%}, spécificité {spec:.1%}. « {name} » figure maintenant dans les listes de modèles des "
              "onglets Explorer et Cohérence (pour vous seul).",
    },
    "train.failed": {"en": "Training failed: {error}", "fr": "L'entraînement a échoué : {error}"},
    "train.busy": {
        "en": "**The training bench is busy**: other students' models are training on this server. "
              "Try again in about {seconds} s (nothing was lost: your settings are still here).",
        "fr": "**Le banc d'entraînement est occupé** : les modèles d'autres étudiants s'entraînent sur ce "
              "serveur. Réessayez dans environ {seconds} s (rien n'est perdu : vos réglages sont conservés).",
    },
    "train.data_option": {"en": "{dataset}, {size} px", "fr": "{dataset}, {size} px"},
    # ------------------------------------------------------------------ quiz
    "quiz.intro": {
        "en": "Look at the image and the map. Is the model's evidence on the **pathology** (the lungs) or on "
              "an **artefact**? The reveal gives the measured share of the evidence on the artefact. Rule: "
              "“artefact” when that share is at least 25%, or 5× the share of the image the artefact covers.",
        "fr": "Regardez l'image et la carte. Les arguments du modèle portent-ils sur la **pathologie** (les "
              "poumons) ou sur un **artefact** ? La réponse donne la part mesurée des arguments sur l'artefact. "
              "Règle : « artefact » quand cette part atteint 25 %, ou 5× la part de l'image couverte par "
              "l'artefact.",
    },
    "quiz.pathology": {"en": "Pathology (lungs)", "fr": "Pathologie (poumons)"},
    "quiz.artefact": {"en": "Artefact", "fr": "Artefact"},
    "quiz.next": {"en": "Next question", "fr": "Question suivante"},
    "quiz.question": {"en": "Question {n}. The model predicts **{label}** (P(pneumonia) = {p:.2f}).",
                      "fr": "Question {n}. Le modèle prédit **{label}** (P(pneumopathie) = {p:.2f})."},
    "quiz.correct": {"en": "**Correct!**", "fr": "**Bonne réponse !**"},
    "quiz.wrong": {"en": "**Not this time.**", "fr": "**Pas cette fois.**"},
    "quiz.reveal": {
        "en": "{verdict} This was the **{model}**. **{share:.0%}** of its positive evidence lies on the "
              "artefact ({artefact}), which covers only {area:.1%} of the image (outlined in cyan): "
              "**{ratio:.1f}×** what its area alone would give. {explain}",
        "fr": "{verdict} C'était le **{model}**. **{share:.0%}** de ses arguments positifs se trouvent "
              "sur l'artefact ({artefact}), qui ne couvre que {area:.1%} de l'image (entouré en cyan) : "
              "**{ratio:.1f}×** ce que sa seule surface donnerait. {explain}",
    },
    "quiz.explain_artefact": {
        "en": "The model learned that this marker comes with pneumonia: a shortcut, not medicine.",
        "fr": "Le modèle a appris que ce marqueur accompagne la pneumopathie : un raccourci, pas de la médecine.",
    },
    "quiz.explain_pathology": {
        "en": "The evidence lies mostly on the lung fields. That does not prove the model is right, only that "
              "it is not using this marker.",
        "fr": "Les arguments portent surtout sur les champs pulmonaires. Cela ne prouve pas que le modèle a "
              "raison, seulement qu'il n'utilise pas ce marqueur.",
    },
    "quiz.score": {"en": "Score: **{right} / {total}**", "fr": "Score : **{right} / {total}**"},
    "quiz.unavailable": {
        "en": "The quiz needs a pair of models (trained without / with the artefact) and sample images (see the "
              "Explore tab).",
        "fr": "Le quiz nécessite une paire de modèles (entraînés sans / avec l'artefact) et des images "
              "d'exemple (voir l'onglet Explorer).",
    },
    "quiz.answer_first": {"en": "Answer this question first, or press “Next question”.",
                          "fr": "Répondez d'abord à cette question, ou cliquez sur « Question suivante »."},
    "quiz.start": {"en": "Press “Next question” to start.", "fr": "Cliquez sur « Question suivante » pour commencer."},
    # ------------------------------------------------------------------ about
    "about.body": {
        "en": """### What a saliency map shows, and what it does not
A saliency map shows which pixels **changed this model's output** for this image, according to one method.
It does **not** show where the disease is, why the model is right, or that the model would be right on
another hospital's films. Different methods disagree; some barely depend on the model at all (see the
sanity check). A map on the lungs is compatible with a shortcut elsewhere; a map on a marker is a red flag.

### Responsibility
These models are small teaching models trained on public data. They are **not medical devices** and must
never be used for a patient. The decision, and its justification, stays with the clinician.

### Health data protection
The app runs on this machine only: nothing is sent elsewhere (no web fonts, no analytics, no external
services). Uploaded images are read in memory, never logged, and their temporary files are deleted after the
request; do not upload identifiable patient images anyway (GDPR / RGPD: health data are special-category
data).

### References
{references}

### Data credits and licences
{credits}
""",
        "fr": """### Ce que montre une carte de saillance, et ce qu'elle ne montre pas
Une carte de saillance montre quels pixels **ont modifié la sortie de ce modèle** pour cette image, selon une
méthode donnée. Elle ne montre **pas** où se trouve la maladie, ni pourquoi le modèle a raison, ni qu'il aurait
raison sur les clichés d'un autre hôpital. Les méthodes divergent ; certaines dépendent à peine du modèle (voir
le test de cohérence). Une carte sur les poumons reste compatible avec un raccourci ailleurs ; une carte sur un
marqueur est un signal d'alarme.

### Responsabilité
Ces modèles sont de petits modèles pédagogiques entraînés sur des données publiques. Ce ne sont **pas des
dispositifs médicaux** et ils ne doivent jamais servir pour un patient. La décision, et sa justification,
restent celles du clinicien.

### Protection des données de santé
L'application tourne uniquement sur cette machine : rien n'est envoyé ailleurs (ni polices web, ni mesure
d'audience, ni service externe). Les images téléversées sont lues en mémoire, jamais journalisées, et leurs
fichiers temporaires sont supprimés après la requête ; n'y téléversez pas pour autant d'images de patients
identifiables (RGPD : les données de santé sont des données sensibles).

### Références
{references}

### Crédits et licences des données
{credits}
""",
    },
    "about.embedded": {
        "en": "**Embedded teaching set** (`sample_images/`, for teaching only): the curated cases are unmodified "
              "Kermany test-split films (CC BY 4.0) and the Train tab's bundles are downsized subsets of "
              "PneumoniaMNIST and of the Kermany films (CC BY 4.0); every file, its source and its licence are "
              "listed in `sample_images/ATTRIBUTION.md`.",
        "fr": "**Jeu pédagogique embarqué** (`sample_images/`, usage pédagogique uniquement) : les cas choisis sont "
              "des clichés non modifiés du jeu de test de Kermany (CC BY 4.0), et les lots de l'onglet Entraîner "
              "des sous-ensembles réduits de PneumoniaMNIST et des clichés de Kermany (CC BY 4.0) ; chaque "
              "fichier, sa source et sa licence sont listés dans `sample_images/ATTRIBUTION.md`.",
    },
    "dataset.pneumoniamnist": {"en": "PneumoniaMNIST (full, from the data folder)",
                               "fr": "PneumoniaMNIST (complet, dossier de données)"},
    "dataset.kermany": {"en": "Kermany chest X-rays (full, from the data folder)",
                        "fr": "Radiographies de Kermany (complètes, dossier de données)"},
    "dataset.pneumoniamnist_sample": {"en": "PneumoniaMNIST (embedded sample)",
                                      "fr": "PneumoniaMNIST (échantillon embarqué)"},
    "dataset.kermany_sample": {"en": "Kermany chest X-rays (embedded sample)",
                               "fr": "Radiographies de Kermany (échantillon embarqué)"},
    "about.credits": {
        "en": "- MedMNIST v2 (PneumoniaMNIST, BreastMNIST): Yang J. et al. *Scientific Data* 10, 41 (2023), "
              "CC BY 4.0.\n"
              "- Chest X-rays: Kermany D.S. et al. *Cell* 172(5): 1122–1131 (2018); Kermany D., Zhang K., "
              "Goldbaum M., Mendeley Data v2, doi:10.17632/rscbjbr9sj.2, CC BY 4.0.\n"
              "- BreastMNIST source: Al-Dhabyani W. et al. Dataset of breast ultrasound images. *Data in Brief* 28 "
              "(2020).\n"
              "- ISIC Archive (dermoscopy), CC0; artefact annotations: Bissoto A., Valle E., Avila S. Debiasing skin "
              "lesion datasets and models? Not so fast. ISIC Workshop @ CVPR 2020.",
        "fr": "- MedMNIST v2 (PneumoniaMNIST, BreastMNIST) : Yang J. et al. *Scientific Data* 10, 41 (2023), "
              "CC BY 4.0.\n"
              "- Radiographies thoraciques : Kermany D.S. et al. *Cell* 172(5) : 1122–1131 (2018) ; Kermany D., "
              "Zhang K., Goldbaum M., Mendeley Data v2, doi:10.17632/rscbjbr9sj.2, CC BY 4.0.\n"
              "- Source de BreastMNIST : Al-Dhabyani W. et al. Dataset of breast ultrasound images. *Data in "
              "Brief* 28 (2020).\n"
              "- Archive ISIC (dermoscopie), CC0 ; annotations d'artefacts : Bissoto A., Valle E., Avila S. "
              "Debiasing skin lesion datasets and models? Not so fast. ISIC Workshop @ CVPR 2020.",
    },
}

TEXT.update({
    # ------------------------------------------------------------------ method names (one per registered method)
    "method.saliency": {"en": "Saliency", "fr": "Saillance (gradient)"},
    "method.integrated_gradients": {"en": "Integrated Gradients", "fr": "Gradients intégrés"},
    "method.smoothgrad": {"en": "SmoothGrad", "fr": "Gradient lissé (SmoothGrad)"},
    "method.gradient_shap": {"en": "GradientSHAP", "fr": "GradientSHAP"},
    "method.deeplift": {"en": "DeepLIFT", "fr": "DeepLIFT"},
    "method.guided_backprop": {"en": "Guided Backprop", "fr": "Rétropropagation guidée"},
    "method.gradcam": {"en": "Grad-CAM", "fr": "Grad-CAM"},
    "method.guided_gradcam": {"en": "Guided Grad-CAM", "fr": "Grad-CAM guidé"},
    "method.occlusion": {"en": "Occlusion", "fr": "Occlusion"},
    "method.kernel_shap": {"en": "KernelSHAP (8×8 grid)", "fr": "KernelSHAP (grille 8×8)"},
    # ------------------------------------------------------------------ input check
    "check.warning": {
        "en": "**This does not look like a chest X-ray** ({reasons}). The model was trained on chest X-rays "
              "only: its answer here means nothing. (That is worth remembering: a model always answers, even "
              "outside what it has learned.)",
        "fr": "**Cette image ne ressemble pas à une radiographie thoracique** ({reasons}). Le modèle n'a appris "
              "que sur des radiographies thoraciques : sa réponse ici ne veut rien dire. (À retenir : un modèle "
              "répond toujours, même hors de ce qu'il a appris.)",
    },
    "check.too_small": {"en": "too small", "fr": "trop petite"},
    "check.colour": {"en": "a colour picture", "fr": "image en couleur"},
    "check.flat": {"en": "almost no contrast", "fr": "presque sans contraste"},
    "check.noise": {"en": "looks like noise", "fr": "ressemble à du bruit"},
    "check.unusual": {"en": "unlike the training X-rays", "fr": "différente des radiographies d'entraînement"},
    # ------------------------------------------------------------------ training, in words
    "train.step": {"en": "Training: epoch {epoch} of {epochs}, {percent:.0%} done", "fr":
                   "Entraînement : époque {epoch} sur {epochs}, {percent:.0%} effectués"},
    "train.loading": {"en": "Loading the training images…", "fr": "Chargement des images d'entraînement…"},
    "train.measuring": {"en": "Measuring the model on test films with and without the artefact…",
                        "fr": "Mesure du modèle sur des clichés de test avec et sans l'artefact…"},
    "train.finished": {
        "en": "**Done in {seconds:.0f} s.** “{name}” is now in the model lists of the Explore and Sanity check "
              "tabs (for you only).",
        "fr": "**Terminé en {seconds:.0f} s.** « {name} » figure maintenant dans les listes de modèles des "
              "onglets Explorer et Cohérence (pour vous seul).",
    },
    "train.learned": {
        "en": "**The model learned the artefact as a sign of pneumonia.** On test films where the artefact "
              "({artefact}) comes with pneumonia, as in its training images, it is right {acc_with:.0%} of the "
              "time and finds {sens_with:.0%} of the pneumonias. On the same films without the artefact it is "
              "right only {acc_none:.0%} of the time and finds {sens_none:.0%} of the pneumonias. Part of what it "
              "looks for is the marker, not the lungs: a shortcut that fails in a hospital without that marker.",
        "fr": "**Le modèle a appris l'artefact comme signe de pneumopathie.** Sur des clichés de test où l'artefact "
              "({artefact}) accompagne la pneumopathie, comme dans ses images d'entraînement, il a raison dans "
              "{acc_with:.0%} des cas et trouve {sens_with:.0%} des pneumopathies. Sur les mêmes clichés sans "
              "l'artefact, il n'a raison que dans {acc_none:.0%} des cas et ne trouve que {sens_none:.0%} des "
              "pneumopathies. Une partie de ce qu'il cherche est le marqueur, pas les poumons : un raccourci "
              "qui échoue dans un hôpital sans ce marqueur.",
    },
    "train.not_learned": {
        "en": "**The model did not lean on the artefact.** With the artefact ({artefact}) on the pneumonia films "
              "it is right {acc_with:.0%} of the time, without it {acc_none:.0%}; it finds {sens_with:.0%} and "
              "{sens_none:.0%} of the pneumonias. Try a higher share of pneumonia images with the artefact.",
        "fr": "**Le modèle ne s'est pas appuyé sur l'artefact.** Avec l'artefact ({artefact}) sur les clichés "
              "de pneumopathie il a raison dans {acc_with:.0%} des cas, sans lui dans {acc_none:.0%} ; il "
              "trouve {sens_with:.0%} et {sens_none:.0%} des pneumopathies. Essayez une part plus élevée "
              "d'images de pneumopathie avec l'artefact.",
    },
    "train.clean": {
        "en": "**Trained without an artefact.** On the test films it is right {acc:.0%} of the time, finds "
              "{sens:.0%} of the pneumonias and calls {spec:.0%} of the normal films normal.",
        "fr": "**Entraîné sans artefact.** Sur les clichés de test il a raison dans {acc:.0%} des cas, trouve "
              "{sens:.0%} des pneumopathies et reconnaît {spec:.0%} des clichés normaux.",
    },
    # ------------------------------------------------------------------ sanity, in words
    "stage.last": {"en": "the last layer", "fr": "la dernière couche"},
    "stage.half": {"en": "half the network", "fr": "la moitié du réseau"},
    "stage.all": {"en": "all layers", "fr": "toutes les couches"},
    "stage.some": {"en": "the last {k} layers (of {n})", "fr": "les {k} dernières couches (sur {n})"},
    "stage.none": {"en": "nothing (the trained model)", "fr": "rien (le modèle entraîné)"},
    "sanity.same": {
        "en": "**Randomised: {stage}.** {methods} still {verb} nearly the same picture as for the trained model. "
              "The model is partly destroyed, yet the map hardly changes: it shows the image (its edges, the ribs), "
              "not what the model learned. Do not read such a map as the model's reasoning.",
        "fr": "**Randomisé : {stage}.** {methods} {verb} encore presque la même image que pour le modèle "
              "entraîné. Le modèle est en partie détruit, et pourtant la carte change à peine : elle montre "
              "l'image (ses contours, les côtes), pas ce que le modèle a appris. Ne lisez pas une telle carte "
              "comme le raisonnement du modèle.",
    },
    "sanity.draw_one": {"en": "draws", "fr": "dessine"},
    "sanity.draw_many": {"en": "draw", "fr": "dessinent"},
    "sanity.changed": {
        "en": "{methods} {verb} with the model: {pronoun} on what it learned, as a map should.",
        "fr": "{methods} {verb} avec le modèle : {pronoun} de ce qu'il a appris, comme il se doit.",
    },
    "sanity.change_one": {"en": "changes", "fr": "change"},
    "sanity.change_many": {"en": "change", "fr": "changent"},
    "sanity.it": {"en": "it depends", "fr": "elle dépend"},
    "sanity.they": {"en": "they depend", "fr": "elles dépendent"},
    "sanity.all_change": {
        "en": "**Randomised: {stage}.** Every map changes: each method depends on the model here.",
        "fr": "**Randomisé : {stage}.** Toutes les cartes changent : chaque méthode dépend ici du modèle.",
    },
    "sanity.row_plain": {
        "en": "- **{method}**: similarity to the trained model's map {rho:.2f} (1 = identical, 0 = unrelated). "
              "{verdict}",
        "fr": "- **{method}** : similarité avec la carte du modèle entraîné {rho:.2f} (1 = identique, "
              "0 = sans rapport). {verdict}",
    },
    "sanity.slider_hint": {
        "en": "The slider starts where the test shows a failure; move it to randomise more or fewer layers.",
        "fr": "Le curseur commence là où le test montre un échec ; déplacez-le pour randomiser plus ou moins de "
              "couches.",
    },
    "and": {"en": "and", "fr": "et"},
})

WIDGET_TEXT: dict[str, str] = {
    # Gradio's own tooltips and screen-reader labels (English as Gradio writes them -> French). Gradio
    # translates few of them, and only when the page opens; ``scripts.WIDGETS_JS`` applies this table live.
    # ``{0}`` stands for the rest of the string (a component's own label, already translated by the app).
    "Pan": "Déplacer",
    "Zoom in": "Zoom avant",
    "Zoom out": "Zoom arrière",
    "Undo": "Annuler",
    "undo": "annuler",
    "Redo": "Rétablir",
    "Clear canvas": "Effacer le dessin",
    "Brush": "Pinceau",
    "Brush Size": "Taille du pinceau",
    "Erase": "Gomme",
    "Color": "Couleur",
    "Fullscreen": "Plein écran",
    "Exit fullscreen mode": "Quitter le plein écran",
    "Download": "Télécharger",
    "Clear": "Effacer",
    "Share": "Partager",
    "More tabs": "Autres onglets",
    "File upload": "Téléversement de fichier",
    "Click to upload or drop files": "Cliquez pour téléverser, ou déposez un fichier",
    "Reset to default value": "Revenir à la valeur par défaut",
    "Empty value": "Aucune valeur",
    "Thumbnail {0} of {1}": "Vignette {0} sur {1}",
    "number input for {0}": "saisie numérique : {0}",
    "range slider for {0}": "curseur : {0}",
}

REFERENCES = (
    "Zech J.R. et al. Variable generalization performance of a deep learning model to detect pneumonia in chest "
    "radiographs: a cross-sectional study. *PLOS Medicine* 15(11): e1002683 (2018).",
    "DeGrave A.J., Janizek J.D., Lee S.-I. AI for radiographic COVID-19 detection selects shortcuts over signal. "
    "*Nature Machine Intelligence* 3, 610–619 (2021).",
    "Winkler J.K. et al. Association between surgical skin markings in dermoscopic images and diagnostic "
    "performance of a deep learning convolutional neural network for melanoma recognition. *JAMA Dermatology* "
    "155(10): 1135–1141 (2019).",
    "Adebayo J. et al. Sanity checks for saliency maps. *NeurIPS* 2018.",
    "Geirhos R. et al. Shortcut learning in deep neural networks. *Nature Machine Intelligence* 2, 665–673 (2020).",
    "Sun S. et al. Right for the wrong reason: can interpretable ML techniques detect spurious correlations? "
    "*MICCAI* 2023.",
)


def about(lang: str) -> str:
    """The About page in ``lang``: limits of saliency maps, responsibility, privacy, references, credits."""
    return t("about.body", lang, references="\n".join(f"- {r}" for r in REFERENCES),
             credits=t("about.credits", lang) + "\n\n" + t("about.embedded", lang))


def dataset_name(name: str, lang: str) -> str:
    """A dataset registry name as a reader-friendly label in ``lang`` (the name itself when unknown)."""
    key = f"dataset.{name}"
    return t(key, lang) if key in TEXT else name


class _Formatter(string.Formatter):
    """``str.format`` with numbers written the way ``lang`` writes them (see :func:`number`)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and format_spec[-1:] in ("f", "%", "g"):
            return number(value, self.lang, format_spec)
        return super().format_field(value, format_spec)


def number(value: float, lang: str, spec: str = ".2f") -> str:
    """``value`` formatted by ``spec`` for ``lang``: "0.84" / "0,84"; with a "%" spec "87.5%" / "87,5 %"
    (decimal comma, non-breaking space before the percent sign in French)."""
    text = format(value, spec)
    if lang != "fr":
        return text
    text = text.replace(".", ",")
    return text[:-1] + NBSP + "%" if text.endswith("%") else text


def percent(value: float, lang: str, digits: int = 0) -> str:
    """A fraction in [0, 1] as a percentage for ``lang`` ("87.5%" / "87,5 %")."""
    return number(value, lang, f".{digits}%")


_SPACE_BEFORE = re.compile(r"[ \u202f]([:;?!%»])")
_DIGIT_PERCENT = re.compile(r"(\d)%")


def french_spacing(text: str) -> str:
    """French typography: a non-breaking space before : ; ? ! % » and after « ("87,5 %", "Cas : ..."), where
    the text had a space or, for %, a digit; "10:30", "https://" and "text=L" are left alone."""
    text = _SPACE_BEFORE.sub(NBSP + r"\1", text)
    text = _DIGIT_PERCENT.sub(r"\1" + NBSP + "%", text)
    return text.replace("« ", "«" + NBSP)


def t(key: str, lang: str = "en", **fields: object) -> str:
    """The string ``key`` in ``lang`` ("en" or "fr"), formatted with ``fields``; English if ``lang`` is unknown.

    Numbers in ``fields`` with an "f", "g" or "%" format are written for ``lang`` (:func:`number`), and French
    text gets its non-breaking spaces (:func:`french_spacing`).

    Raises:
        KeyError: ``key`` is not in :data:`TEXT` (a missing translation is a bug, not a fallback).
    """
    lang = lang if lang in LANGS else "en"
    entry = TEXT[key]
    text = entry.get(lang) or entry["en"]
    text = _Formatter(lang).format(text, **fields) if fields else text
    return french_spacing(text) if lang == "fr" else text


def class_name(name: str, lang: str) -> str:
    """A model class name ("PNEUMONIA", "normal", ...) in ``lang``, or the name itself when unknown."""
    key = f"class.{name}"
    return t(key, lang) if key in TEXT else name


def artefact_name(name: str | None, lang: str) -> str:
    """An artefact registry name in ``lang`` ("art.none" for None)."""
    key = f"art.{name or 'none'}"
    return t(key, lang) if key in TEXT else str(name)


def method_name(name: str, lang: str) -> str:
    """A registered saliency method's name in ``lang`` (its registry label when no translation is listed)."""
    key = f"method.{name}"
    if key in TEXT:
        return t(key, lang)
    from ..explain import get_method

    return get_method(name).label


def join_names(names: list[str], lang: str) -> str:
    """ "A", "A and B", "A, B and C" in ``lang``."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {t('and', lang)} {names[-1]}"
