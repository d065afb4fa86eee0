// GOV.UK Frontend's components (phone menu, error summary focus, skip link...) start here: a module file, not an
// inline script, so the Content-Security-Policy stays script-src 'self'.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();
