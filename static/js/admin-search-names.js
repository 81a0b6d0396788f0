'use strict';
// The admin's autocomplete (Select2) adds a search box to a select of
// several values (the series' topics) without any name, so a screen reader
// announces only "search". Give each box the name of its select's label.
// A static file: the Content-Security-Policy forbids inline scripts.
{
    const nameSearchBoxes = function() {
        document.querySelectorAll('select.admin-autocomplete[id]').forEach(function(select) {
            const label = document.querySelector('label[for="' + select.id + '"]');
            const container = select.nextElementSibling;
            if (!label || !container) {
                return;
            }
            const name = label.textContent.trim().replace(/:$/, '');
            container.querySelectorAll('.select2-search__field:not([aria-label])').forEach(function(box) {
                box.setAttribute('aria-label', name);
            });
        });
    };
    window.addEventListener('load', function() {
        nameSearchBoxes();
        // Select2 draws the box again when a value is added or removed.
        new MutationObserver(nameSearchBoxes).observe(document.body, {childList: true, subtree: true});
    });
}
