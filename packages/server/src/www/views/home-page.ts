import type { MostDownloaded, RecentlyPublished } from '@entropic/core';
import { html, type SafeHtml } from '../html.ts';
import { formatTime } from './format-time.ts';
import { packageList } from './package-list.ts';

/** What the home page shows: loaded by its handler, rendered by `homePage`. */
export interface HomePageModel {
  host: string;
  recent: RecentlyPublished[];
  popular: MostDownloaded[];
  /** the signed-in viewer's username, if any */
  viewer: string | undefined;
}

/** The body of /www: a search box, recently published and most downloaded packages, and the ways on. */
export function homePage(model: HomePageModel): SafeHtml {
  const recent = model.recent.map((p) => ({ package: p.package, detail: html`${p.version}, ${formatTime(p.published.toISOString())}` }));
  const popular = model.popular.map((p) => ({ package: p.package, detail: `${p.downloads.toLocaleString('en')} downloads` }));
  return html`<form class="card" role="search" method="get" action="/www/search">
      <label for="home-search-q">Find a package</label>
      <input id="home-search-q" name="q" type="search" maxlength="200" placeholder="name, keyword or words from its README">
      <button type="submit">Search</button>
    </form>
    <section aria-labelledby="recent">
      <h2 id="recent">Recently published</h2>
      ${packageList(recent, 'Nothing has been published here yet.', 'recent')}
    </section>
    <section aria-labelledby="popular">
      <h2 id="popular">Most downloaded <span class="muted">(last 30 days)</span></h2>
      ${packageList(popular, 'No downloads counted yet.', 'popular')}
    </section>
    <section aria-labelledby="more">
      <h2 id="more">More</h2>
      <ul>
        <li><a href="/www/namespaces">All namespaces</a> (users and organisations) and their packages</li>
        <li><a href="/www/search">Search</a></li>
        ${
          model.viewer
            ? html`<li><a href="/www/users/${model.viewer}">Your packages and organisations</a></li>
                <li><a href="/www/orgs/new">Create an organisation</a></li>
                <li><a href="/www/tokens">Your tokens</a></li>`
            : html`<li><a href="/www/login">Sign in</a> to publish, create an organisation or make tokens</li>`
        }
      </ul>
    </section>`;
}
